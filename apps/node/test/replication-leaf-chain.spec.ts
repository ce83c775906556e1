import { api, createTestDatabase, eventually, TestDatabase } from '@tdx/testing';
import { RunningNode, startInProcessNode } from './support/nodes';
import { sampleEntry, sampleInstitution } from './support/samples';
import { LeafServer, startLeafServer } from './support/leaf-chain';

/**
 * The production topology: each node on its own nats-server, each server a
 * leaf node of its parent's. Replication crosses two leaf links, and a county keeps working
 * while its city's server is down.
 */
describe('replication over a leaf-node chain province <- city <- county', () => {
  const databases: TestDatabase[] = [];
  const servers: LeafServer[] = [];
  const nodes: RunningNode[] = [];
  let province: RunningNode;
  let county: RunningNode;
  let cityServer: LeafServer;

  beforeAll(async () => {
    const provinceServer = await startLeafServer('p330000');
    cityServer = await startLeafServer('c330100', provinceServer);
    const countyServer = await startLeafServer('x330106', cityServer);
    servers.push(provinceServer, cityServer, countyServer);
    const db = async (label: string) => {
      const d = await createTestDatabase(label);
      databases.push(d);
      return d.url;
    };
    province = await startInProcessNode({ code: '330000', databaseUrl: await db('leaf_p'), natsUrl: provinceServer.url });
    const city = await startInProcessNode({ code: '330100', parentCode: '330000', databaseUrl: await db('leaf_c'), natsUrl: cityServer.url });
    county = await startInProcessNode({ code: '330106', parentCode: '330100', databaseUrl: await db('leaf_x'), natsUrl: countyServer.url });
    nodes.push(county, city, province);
  });

  afterAll(async () => {
    for (const node of nodes) await node.stop().catch(() => undefined);
    for (const server of servers) await server.stop();
    for (const db of databases) await db.drop();
  });

  it('carries a county entry to the province across two leaf links', async () => {
    const institution = await api(county.url, 'POST', '/api/v1/institutions', sampleInstitution('Xihu Water Supply'));
    const entry = await api(county.url, 'POST', '/api/v1/catalog/entries', sampleEntry(institution.body.id, { name: 'Water meters' }));
    expect(entry.status).toBe(201);
    const atProvince = await eventually(async () => {
      const found = await api(province.url, 'GET', `/api/v1/catalog/entries/${entry.body.id}`);
      expect(found.status).toBe(200);
      return found.body;
    }, 30_000);
    expect(atProvince).toEqual(entry.body);
  });

  it('keeps county changes in the outbox while the city server is down and delivers them after', async () => {
    const institution = await api(county.url, 'POST', '/api/v1/institutions', sampleInstitution('Xihu Gas'));
    await cityServer.kill();
    const written: string[] = [];
    for (let i = 0; i < 20; i++) {
      const entry = await api(county.url, 'POST', '/api/v1/catalog/entries', sampleEntry(institution.body.id, { name: `Gas meter batch ${i}` }));
      expect(entry.status).toBe(201);
      written.push(entry.body.id);
    }
    await eventually(async () => {
      const status = await api(county.url, 'GET', '/api/v1/federation/status');
      expect(status.body.parent.outboxBacklog).toBeGreaterThan(0);
    });
    await cityServer.restart();
    await eventually(
      async () => {
        const [atCounty, atProvince] = await Promise.all([
          api(county.url, 'GET', '/api/v1/federation/digest'),
          api(province.url, 'GET', '/api/v1/federation/digest'),
        ]);
        expect(atProvince.body.origins).toEqual(atCounty.body.origins);
      },
      60_000,
      250,
    );
    for (const id of written) {
      expect((await api(province.url, 'GET', `/api/v1/catalog/entries/${id}`)).status).toBe(200);
    }
  });
});
