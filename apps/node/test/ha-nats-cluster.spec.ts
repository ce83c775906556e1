import { jetstreamManager } from '@nats-io/jetstream';
import { connect, NatsConnection } from '@nats-io/transport-node';
import { subjectsFor } from '@tdx/contracts';
import { api, createTestDatabase, eventually, TestDatabase, testNamespace, TestNatsCluster } from '@tdx/testing';
import { RunningNode, startInProcessNode } from './support/nodes';
import { sampleInstitution } from './support/samples';
import { digestFor, versionsIn } from './support/replication';
import { CatalogWriter } from './support/catalog-writer';

/**
 * A province <- city <- county chain on a 3-server NATS cluster, each node's inbound stream kept
 * in three copies (NATS_STREAM_REPLICAS=3): a server killed with SIGKILL while the county
 * writes (the leader of the city's stream, the worst case) loses nothing, and replication goes on.
 */
describe('replication on a 3-server NATS cluster', () => {
  const namespace = testNamespace();
  const names = subjectsFor(namespace);
  const databases = {} as Record<'province' | 'city' | 'county', TestDatabase>;
  let cluster: TestNatsCluster;
  let nodes: { province: RunningNode; city: RunningNode; county: RunningNode };
  let nc: NatsConnection;
  let writer: CatalogWriter | undefined;

  beforeAll(async () => {
    cluster = await TestNatsCluster.start(3);
    for (const tier of ['province', 'city', 'county'] as const) databases[tier] = await createTestDatabase(`ha15_cluster_${tier}`);
    const spec = { natsUrl: cluster.url, natsNamespace: namespace, env: { NATS_STREAM_REPLICAS: '3' } };
    const province = await startInProcessNode({ ...spec, code: '330000', databaseUrl: databases.province.url });
    const city = await startInProcessNode({ ...spec, code: '330100', parentCode: '330000', databaseUrl: databases.city.url });
    const county = await startInProcessNode({ ...spec, code: '330106', parentCode: '330100', databaseUrl: databases.county.url });
    nodes = { province, city, county };
    nc = await connect({ servers: cluster.url.split(',') });
  }, 120_000);

  afterAll(async () => {
    await writer?.stop();
    await nc?.close();
    for (const node of [nodes?.county, nodes?.city, nodes?.province]) await node?.stop().catch(() => undefined);
    await cluster?.stop();
    for (const db of Object.values(databases)) await db?.drop().catch(() => undefined);
  });

  async function streamInfo(code: string) {
    const jsm = await jetstreamManager(nc);
    return jsm.streams.info(names.upStream(code));
  }

  it('keeps every inbound stream in three copies and loses nothing when the leader of one is killed', async () => {
    const institution = await api(nodes.county.url, 'POST', '/api/v1/institutions', sampleInstitution('Xihu Water Supply'));
    expect(institution.status).toBe(201);
    await eventually(async () => expect(await databases.province.query(`SELECT id FROM institution WHERE origin = '330106'`)).toHaveLength(1), 60_000);
    for (const code of ['330000', '330100']) {
      const info = await streamInfo(code);
      expect({ code, replicas: info.config.num_replicas }).toEqual({ code, replicas: 3 });
      expect(info.cluster?.replicas).toHaveLength(2);
    }

    writer = new CatalogWriter([nodes.county.url], institution.body.id, 'Cluster');
    writer.start();
    await writer.advance(40);
    const leader = (await streamInfo('330100')).cluster?.leader as string;
    await cluster.serverNamed(leader).kill();
    await writer.advance(80);
    await writer.stop();
    expect(writer.failures).toEqual([]);
    writer = undefined;

    // Another server leads the stream now, and the records flowed on through it.
    await eventually(async () => expect((await streamInfo('330100')).cluster?.leader).not.toBe(leader), 60_000, 500);
    const truth = await versionsIn(databases.county, '330106');
    expect(truth.size).toBeGreaterThan(40);
    await eventually(
      async () => {
        const atCounty = await digestFor(nodes.county.url, '330106');
        expect({ city: await digestFor(nodes.city.url, '330106'), province: await digestFor(nodes.province.url, '330106') }).toEqual({
          city: atCounty,
          province: atCounty,
        });
      },
      120_000,
      500,
    );
    for (const tier of ['city', 'province'] as const) expect(await versionsIn(databases[tier], '330106')).toEqual(truth);
  }, 300_000);
});
