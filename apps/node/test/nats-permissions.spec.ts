import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, errors, headers as natsHeaders, NatsConnection, nkeyAuthenticator } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import {
  encodeEnvelope,
  generateSigningKey,
  newReturnNonce,
  openReturnMessage,
  RETURN_SIG_HEADER,
  sealRecord,
  sealReturnMessage,
  subjectsFor,
} from '@tdx/contracts';
import { readNkeySeed } from '../src/config/nats-credentials';
import { api, assertEvery, createTestDatabase, eventually, TestDatabase } from '@tdx/testing';
import { RunningNode, startInProcessNode } from './support/nodes';
import { sampleEntry, sampleInstitution } from './support/samples';
import { returnedRows, waitForJob, writeSourceRows } from './support/returns';
import { DeployedNatsServer, issueCredential, NodeCredential, RogueLeafServer, speakNats } from './support/secured-nats';
import { TestCa, TlsFiles } from './support/test-ca';

const names = subjectsFor('tdx');

function escape(subject: string): string {
  return subject.replace(/[$.*>]/g, '\\$&');
}

interface RawClient {
  nc: NatsConnection;
  /** Permission violations the server reported on this connection: "publish <subject>" or "subscription <subject>". */
  violations: string[];
}

/** A bare NATS client (no node behind it), with a client certificate or none, optionally with a node's key and inbox prefix. */
async function rawClient(url: string, tls: TlsFiles | null, as?: { credential?: NodeCredential; inboxOf?: string }): Promise<RawClient> {
  const nc = await connect({
    servers: url,
    maxReconnectAttempts: 0,
    ...(tls ? { tls: { ...tls } } : {}),
    ...(as?.credential ? { authenticator: nkeyAuthenticator(readNkeySeed(as.credential.seedFile)) } : {}),
    ...(as?.inboxOf ? { inboxPrefix: names.inboxPrefix(as.inboxOf) } : {}),
  });
  const violations: string[] = [];
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === 'error' && status.error instanceof errors.PermissionViolationError) {
        violations.push(`${status.error.operation} ${status.error.subject}`);
      }
    }
  })();
  return { nc, violations };
}

/**
 * The NATS configurations of deploy/nats on real nats-servers in the production
 * topology (province <- city <- county, each server its own JetStream domain, each a leaf of its
 * parent's), with a county on its own server (Xihu 330106) and one hosted on the city's server
 * (Binjiang 330108, Article 9). Every node connects with its own NKey; every leaf link with its
 * own leaf user. Every connection is TLS with a certificate of the federation's CA, made here.
 */
describe('NATS permissions: every node publishes only as itself (deploy/nats on real servers)', () => {
  const keyDir = mkdtempSync(join(tmpdir(), 'tdx-nats-creds-'));
  const credentials = Object.fromEntries(
    ['330000', '330100', '330106', '330108', '330200', '330203', '330212'].map((code) => [code, issueCredential(code, keyDir)]),
  );
  const ca = TestCa.create(join(keyDir, 'ca'), 'tdx federation test CA');
  const nodeTls = Object.fromEntries(Object.keys(credentials).map((code) => [code, ca.issue(`node ${code}`, 'client', join(keyDir, `node-${code}`))]));
  const clientTls = ca.issue('test client', 'client', join(keyDir, 'client'));
  const leafPasswords = {
    330100: randomBytes(18).toString('base64url'),
    330106: randomBytes(18).toString('base64url'),
    330200: randomBytes(18).toString('base64url'),
    330212: randomBytes(18).toString('base64url'),
  };
  const databases: Record<string, TestDatabase> = {};
  const nodes: Record<string, RunningNode> = {};
  const clients: RawClient[] = [];
  let provinceServer: DeployedNatsServer;
  let cityServer: DeployedNatsServer;
  let countyServer: DeployedNatsServer;
  // Ningbo and its county Yinzhou, on servers made from city.conf and county.conf as an operator copies them.
  let ningboServer: DeployedNatsServer;
  let yinzhouServer: DeployedNatsServer;
  let rogueServer: RogueLeafServer | undefined;

  async function start(code: string, server: DeployedNatsServer, parentCode?: string): Promise<void> {
    databases[code] = await createTestDatabase(`perm_${code}`);
    nodes[code] = await startInProcessNode({
      code,
      parentCode,
      databaseUrl: databases[code].url,
      natsUrl: server.url,
      env: {
        NATS_NKEY_SEED_FILE: credentials[code].seedFile,
        JOIN_APPROVAL: 'auto',
        HEARTBEAT_INTERVAL: '1',
        NATS_TLS_CA_FILE: nodeTls[code].caFile,
        NATS_TLS_CERT_FILE: nodeTls[code].certFile,
        NATS_TLS_KEY_FILE: nodeTls[code].keyFile,
      },
    });
  }

  async function client(url: string, as?: { credential?: NodeCredential; inboxOf?: string }, tls: TlsFiles | null = clientTls): Promise<RawClient> {
    const c = await rawClient(url, tls, as);
    clients.push(c);
    return c;
  }

  beforeAll(async () => {
    const all = Object.values(credentials);
    provinceServer = await DeployedNatsServer.start('province.conf', { credentials: all, leafPasswords, ca });
    cityServer = await DeployedNatsServer.start('city.conf', {
      credentials: all,
      leafPasswords,
      ca,
      parent: { server: provinceServer, user: 'leaf-330100', password: leafPasswords[330100] },
    });
    countyServer = await DeployedNatsServer.start('county.conf', {
      credentials: all,
      ca,
      parent: { server: cityServer, user: 'leaf-330106', password: leafPasswords[330106] },
    });
    const ningbo = { '330100': '330200', '330106': '330212', '330108': '330203' };
    ningboServer = await DeployedNatsServer.start('city.conf', {
      credentials: all,
      leafPasswords,
      ca,
      divisions: ningbo,
      parent: { server: provinceServer, user: 'leaf-330200', password: leafPasswords[330200] },
    });
    yinzhouServer = await DeployedNatsServer.start('county.conf', {
      credentials: all,
      ca,
      divisions: ningbo,
      parent: { server: ningboServer, user: 'leaf-330212', password: leafPasswords[330212] },
    });
    await start('330000', provinceServer);
    await start('330100', cityServer, '330000');
    await start('330106', countyServer, '330100');
    await start('330108', cityServer, '330100');
    await start('330200', ningboServer, '330000');
    await start('330212', yinzhouServer, '330200');
    // Every node has joined: the province knows every key below it.
    await eventually(async () => {
      const known = await databases['330000'].query<{ code: string }>('SELECT code FROM known_node ORDER BY code');
      expect(known.map((k) => k.code)).toEqual(['330100', '330106', '330108', '330200', '330212']);
    }, 30_000);
  }, 60_000);

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.nc.close().catch(() => undefined)));
    // Leaves first, as in production a tier goes down under a running parent.
    for (const code of ['330212', '330200', '330108', '330106', '330100', '330000']) await nodes[code]?.stop().catch(() => undefined);
    await rogueServer?.stop();
    for (const server of [yinzhouServer, ningboServer, countyServer, cityServer, provinceServer]) await server?.stop();
    await Promise.all(Object.values(databases).map((d) => d.drop()));
    rmSync(keyDir, { recursive: true, force: true });
  });

  it('runs the committed configurations as they are (nats-server -t)', () => {
    for (const server of [provinceServer, cityServer, countyServer]) expect(server.check()).toMatch(/is valid/);
  });

  it('carries records of a county on its own server and of a hosted county to their city and the province', async () => {
    const written: { id: string; at: string }[] = [];
    for (const code of ['330106', '330108']) {
      const institution = await api(nodes[code].url, 'POST', '/api/v1/institutions', sampleInstitution(`Water Supply ${code}`));
      const entry = await api(nodes[code].url, 'POST', '/api/v1/catalog/entries', sampleEntry(institution.body.id, { name: `Water meters ${code}` }));
      expect(entry.status).toBe(201);
      written.push({ id: entry.body.id, at: code });
    }
    for (const { id } of written) {
      for (const above of ['330100', '330000']) {
        await eventually(async () => expect((await api(nodes[above].url, 'GET', `/api/v1/catalog/entries/${id}`)).status).toBe(200), 30_000);
      }
    }
  });

  it("returns the province's data to both counties, each receiving only its own rows", async () => {
    const province = nodes['330000'].url;
    const institution = await api(province, 'POST', '/api/v1/institutions', sampleInstitution('Provincial Market Regulator'));
    const entry = await api(province, 'POST', '/api/v1/catalog/entries', {
      type: 'data',
      name: 'Enterprise register',
      summary: 'Enterprises of the province',
      providerId: institution.body.id,
      category: 'market-regulation',
      grade: 'L1',
      shareType: 'unconditional',
      openType: 'restricted',
      updateCycle: 'irregular',
      dataItems: [{ name: 'company', type: 'string', sensitive: false }],
    });
    expect(entry.status).toBe(201);
    const rows = Object.entries({ 330106: 7, 330108: 4, 330200: 3 }).flatMap(([region, count]) =>
      Array.from({ length: count }, (_, i) => ({ key: `${region}-${i}`, region, data: { company: `Company ${region}/${i}` } })),
    );
    await writeSourceRows(databases['330000'], entry.body.id, rows);
    for (const [code, expected] of [
      ['330106', 7],
      ['330108', 4],
    ] as const) {
      const request = await api(nodes[code].url, 'POST', '/api/v1/returns/requests', {
        entryId: entry.body.id,
        holder: '330000',
        purpose: 'supervision of the district',
      });
      expect(request.status).toBe(201);
      expect(request.body.state).toBe('granted');
      await waitForJob(nodes[code].url, request.body.id);
      const held = await returnedRows(databases[code], request.body.id);
      expect(held.size).toBe(expected);
      assertEvery([...held.values()], (r) => r.region === code, `rows returned to ${code}, of its own region`);
    }
  });

  it("carries each node's heartbeat to its parent under the committed permissions, across leaf links too", async () => {
    const seen = async (parent: string, child: string) => {
      const { body } = await api(nodes[parent].url, 'GET', '/api/v1/federation/status');
      return (body.children as { code: string; health: string; lastHeartbeatAt: string | null }[]).find((c) => c.code === child);
    };
    await eventually(async () => {
      // The county on its own server (over its leaf link), the hosted county, and the city over its leaf link to the province.
      for (const [parent, child] of [
        ['330100', '330106'],
        ['330100', '330108'],
        ['330000', '330100'],
      ]) {
        expect(await seen(parent, child)).toMatchObject({ code: child, health: 'healthy', lastHeartbeatAt: expect.any(String) });
      }
    }, 30_000);
  });

  it("refuses a county's own credentials every subject but its own, with the server's permission violation", async () => {
    // Xihu's key on its own server, and Binjiang's on the city's server (the same rules: NODE_<code>).
    for (const [code, server, other] of [
      ['330106', countyServer, '330108'],
      ['330108', cityServer, '330106'],
    ] as const) {
      const county = await client(server.url, { credential: credentials[code], inboxOf: code });
      const refused = (subject: string) => new RegExp(`Permissions Violation for Publish to "${escape(subject)}"`);
      // Publishing, joining, asking for a return and announcing a trust list as another node.
      await expect(jetstream(county.nc).publish(names.up('330100', other), 'forged')).rejects.toThrow(refused(names.up('330100', other)));
      await expect(jetstream(county.nc).publish(names.up('330000', code), 'skipping the city')).rejects.toThrow(refused(names.up('330000', code)));
      await expect(county.nc.request(names.join('330100', other), 'forged', { timeout: 5000 })).rejects.toThrow(refused(names.join('330100', other)));
      await expect(county.nc.request(names.return('330000', other), 'forged', { timeout: 5000 })).rejects.toThrow(refused(names.return('330000', other)));
      await expect(county.nc.request(names.return('330000', '330100'), 'forged', { timeout: 5000 })).rejects.toThrow(refused(names.return('330000', '330100')));
      county.nc.publish(names.trustUpdated('330100'), 'forged');
      // The parent's stream through the JetStream API, in the city's domain and (hosted county) the server's own: delete, purge, read.
      for (const api of ['$JS.c330100.API', '$JS.API']) {
        for (const subject of [
          `${api}.STREAM.DELETE.TDX_UP_330100`,
          `${api}.STREAM.PURGE.TDX_UP_330100`,
          `${api}.STREAM.INFO.TDX_UP_330100`,
          `${api}.STREAM.MSG.GET.TDX_UP_330100`,
          `${api}.CONSUMER.MSG.NEXT.TDX_UP_330100.child_${other}`,
          `${api}.CONSUMER.DELETE.TDX_UP_330100.child_${other}`,
          `${api}.CONSUMER.CREATE.TDX_UP_330100.spy`,
        ]) {
          if (server === countyServer) {
            await expect(county.nc.request(subject, '{}', { timeout: 5000 })).rejects.toThrow(refused(subject));
          } else {
            // On the city's own server (domain c330100) the server maps $JS.c330100.API to $JS.API before
            // it checks permissions and reports the violation under the mapped subject, which no
            // request of the client's matches: the violation is read from the connection instead.
            county.nc.publish(subject, '{}');
            await eventually(() => expect(county.violations).toContain(`publish ${subject.replace('$JS.c330100.API.', '$JS.API.')}`));
          }
        }
      }
      // Reading another node's replies, the parent's inbound records, or answering as the parent.
      for (const subject of [
        `${names.inboxPrefix('330100')}.>`,
        `${names.inboxPrefix(other)}.>`,
        '_INBOX.>',
        names.upWildcard('330100'),
        names.joinWildcard('330100'),
        names.returnWildcard('330100'),
        names.trust('330100'),
      ]) {
        county.nc.subscribe(subject);
      }
      await eventually(() =>
        expect(county.violations).toEqual(
          expect.arrayContaining([
            `publish ${names.trustUpdated('330100')}`,
            `subscription ${names.inboxPrefix('330100')}.>`,
            `subscription ${names.inboxPrefix(other)}.>`,
            'subscription _INBOX.>',
            `subscription ${names.upWildcard('330100')}`,
            `subscription ${names.joinWildcard('330100')}`,
            `subscription ${names.returnWildcard('330100')}`,
            `subscription ${names.trust('330100')}`,
          ]),
        ),
      );
    }
    // Nothing was lost: the city's stream and its consumers are as they were.
    const city = await client(cityServer.url, { credential: credentials['330100'], inboxOf: '330100' });
    const jsm = await jetstreamManager(city.nc, { checkAPI: false });
    expect((await jsm.consumers.info('TDX_UP_330100', 'child_330106')).name).toBe('child_330106');
    expect((await jsm.consumers.info('TDX_UP_330100', 'child_330108')).name).toBe('child_330108');
  });

  it('carries the channel (Article 10) across the leaf links between any two nodes, each sending as itself', async () => {
    // Xihu on its own server, Binjiang hosted on the city's server, the province on its own, and
    // across the province to Ningbo and to Yinzhou on its own server under Ningbo's: every direction.
    await eventually(async () => {
      const { body } = await api(nodes['330106'].url, 'GET', '/api/v1/federation/trust-list');
      expect(body.nodes.map((n: { code: string }) => n.code)).toEqual(expect.arrayContaining(['330200', '330212']));
    }, 30_000);
    for (const [from, to] of [
      ['330106', '330212'],
      ['330212', '330106'],
      ['330108', '330200'],
      ['330106', '330108'],
      ['330108', '330106'],
      ['330106', '330000'],
      ['330000', '330106'],
      ['330108', '330000'],
    ] as const) {
      const ping = await api(nodes[from].url, 'GET', `/api/v1/federation/channel/${to}/ping`);
      expect({ from, to, status: ping.status, node: ping.body.node, message: ping.body.message }).toEqual({
        from,
        to,
        status: 200,
        node: to,
        message: undefined,
      });
    }
    // A county's credentials may neither send on the channel as another node nor read another's channel.
    for (const [code, server, other] of [
      ['330106', countyServer, '330108'],
      ['330108', cityServer, '330106'],
    ] as const) {
      const county = await client(server.url, { credential: credentials[code], inboxOf: code });
      county.nc.publish(names.channel('330000', other), 'forged');
      county.nc.publish(names.channel(other, '330100'), 'forged');
      county.nc.subscribe(names.channelWildcard(other));
      county.nc.subscribe(names.channelWildcard('330000'));
      await eventually(() =>
        expect(county.violations).toEqual(
          expect.arrayContaining([
            `publish ${names.channel('330000', other)}`,
            `publish ${names.channel(other, '330100')}`,
            `subscription ${names.channelWildcard(other)}`,
            `subscription ${names.channelWildcard('330000')}`,
          ]),
        ),
      );
    }
  });

  it('shares a conditional resource of Yinzhou with Xihu across the leaf links: request, approval, queries within the grant, revocation', async () => {
    const [xihu, yinzhou] = [nodes['330106'].url, nodes['330212'].url];
    const institution = await api(yinzhou, 'POST', '/api/v1/institutions', sampleInstitution('Yinzhou Market Regulator'));
    const entry = await api(yinzhou, 'POST', '/api/v1/catalog/entries', {
      ...sampleEntry(institution.body.id, { name: 'Licences of Yinzhou' }),
      shareType: 'conditional',
      shareCondition: 'for market supervision only',
      dataItems: [{ name: 'company', type: 'string', sensitive: false }],
    });
    expect(entry.status).toBe(201);
    const rows = Object.entries({ 330212: 6, 330203: 4 }).flatMap(([region, count]) =>
      Array.from({ length: count }, (_, i) => ({ key: `${region}-${i}`, region, data: { company: `Company ${region}/${i}` } })),
    );
    await writeSourceRows(databases['330212'], entry.body.id, rows);
    // Found through the province's catalog (replicated up from Yinzhou, across two leaf links).
    let request: { status: number; body: { id: string; state: string } } | undefined;
    await eventually(async () => {
      request = await api(xihu, 'POST', '/api/v1/shares', {
        entryId: entry.body.id,
        items: ['company'],
        regions: ['330212'],
        purpose: 'licence checks',
        expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
      });
      expect(request.status).toBe(201);
    }, 30_000);
    const id = request!.body.id;
    expect(request!.body.state).toBe('requested');
    await eventually(async () => expect((await api(yinzhou, 'GET', `/api/v1/shares/${id}`)).status).toBe(200), 30_000);
    expect((await api(yinzhou, 'POST', `/api/v1/shares/${id}/approve`, { reason: 'supervision of licences' })).status).toBe(200);
    await eventually(async () => expect((await api(xihu, 'GET', `/api/v1/shares/${id}`)).body.state).toBe('granted'), 30_000);
    const served = await api(xihu, 'POST', `/api/v1/shares/${id}/query`, { fields: ['company'], limit: 100 });
    expect(served.status).toBe(200);
    const expected = await databases['330212'].query<{ row_key: string }>(
      `SELECT row_key FROM dataset_row WHERE entry_id = $1 AND NOT deleted AND region_code LIKE '330212%' ORDER BY row_key`,
      [entry.body.id],
    );
    expect(served.body.items.map((r: { rowKey: string }) => r.rowKey)).toEqual(expected.map((r) => r.row_key));
    expect(served.body.items).toHaveLength(6);
    expect((await api(yinzhou, 'POST', `/api/v1/shares/${id}/revoke`, { reason: 'supervision finished' })).status).toBe(200);
    expect((await api(xihu, 'POST', `/api/v1/shares/${id}/query`, { fields: ['company'] })).status).toBe(403);
  });

  it("refuses a node any JetStream API but its own stream's, and a parent no delete or purge even of that", async () => {
    const city = await client(cityServer.url, { credential: credentials['330100'], inboxOf: '330100' });
    for (const subject of [
      '$JS.API.STREAM.DELETE.TDX_UP_330100',
      '$JS.API.STREAM.PURGE.TDX_UP_330100',
      '$JS.API.CONSUMER.DELETE.TDX_UP_330100.child_330106',
      '$JS.API.STREAM.CREATE.TDX_UP_330000',
      '$JS.API.STREAM.NAMES',
      '$JS.p330000.API.STREAM.INFO.TDX_UP_330000',
      '$JS.p330000.API.STREAM.DELETE.TDX_UP_330000',
    ]) {
      await expect(city.nc.request(subject, '{}', { timeout: 5000 })).rejects.toThrow(`Permissions Violation for Publish to "${subject}"`);
    }
  });

  it("refuses connections without a key, and a node's key on a server that does not list it", async () => {
    await expect(rawClient(cityServer.url, clientTls)).rejects.toThrow(/Authorization Violation/i);
    await expect(rawClient(provinceServer.url, clientTls, { credential: credentials['330106'] })).rejects.toThrow(/Authorization Violation/i);
    await expect(rawClient(cityServer.url, clientTls, { credential: credentials['330106'] })).rejects.toThrow(/Authorization Violation/i);
  });

  describe("TLS on every listener: a client or a leaf link shows a certificate of the federation's CA first", () => {
    const intruderCa = TestCa.create(join(keyDir, 'intruder-ca'), 'intruder CA');
    // An intruder who trusts the federation's servers but holds a certificate of its own CA.
    const foreign: TlsFiles = { ...intruderCa.issue('intruder', 'client', join(keyDir, 'intruder')), caFile: ca.caFile };
    const tlsRefusal = /alert bad certificate|alert certificate required/;
    const servers = () => ({ province: provinceServer, city: cityServer, county: countyServer });

    it('has every node connected with its own certificate, on servers that require TLS and verify clients', async () => {
      for (const server of Object.values(servers())) {
        expect((await speakNats(server.clientPort, {}, clientTls)).info).toMatchObject({ tls_required: true, tls_verify: true });
      }
      for (const node of Object.values(nodes)) {
        expect((await api(node.url, 'GET', '/health')).body).toMatchObject({ checks: { nats: 'up' } });
      }
    });

    it('refuses a client in plain text, without a certificate, or with one of another CA, before it may authenticate', async () => {
      for (const [name, server] of Object.entries(servers())) {
        const port = server.clientPort;
        // The control: with the CA's certificate the same CONNECT gets as far as authentication.
        expect([name, (await speakNats(port, {}, clientTls)).reply]).toEqual([name, "-ERR 'Authorization Violation'"]);
        expect([name, (await speakNats(port, {}, null)).reply]).toEqual([name, undefined]);
        for (const tls of [{ caFile: ca.caFile }, foreign]) {
          const answer = await speakNats(port, {}, tls);
          expect([name, answer.reply]).toEqual([name, undefined]);
          expect(answer.tlsError).toMatch(tlsRefusal);
        }
      }
    });

    it('refuses a leaf link with the right leaf password in plain text, without a certificate, or with one of another CA', async () => {
      for (const [hub, leaf, code] of [
        [provinceServer, cityServer, '330100'],
        [cityServer, countyServer, '330106'],
      ] as const) {
        const connectAs = { user: `leaf-${code}`, pass: leafPasswords[code] };
        // The control: the child's own leaf certificate with a wrong password gets as far as authentication.
        expect((await speakNats(hub.leafPort, { ...connectAs, pass: 'wrong' }, leaf.leafTls)).reply).toBe("-ERR 'Authorization Violation'");
        expect((await speakNats(hub.leafPort, connectAs, null)).reply).toBeUndefined();
        for (const tls of [{ caFile: ca.caFile }, foreign]) {
          const answer = await speakNats(hub.leafPort, connectAs, tls);
          expect(answer.reply).toBeUndefined();
          expect(answer.tlsError).toMatch(tlsRefusal);
        }
      }
    });

    it("gives a nats-server with the county's leaf password but a certificate of another CA no link", async () => {
      const refusals = () => cityServer.log.join('').match(/TLS leafnode handshake error/g)?.length ?? 0;
      const before = refusals();
      const impostor = await RogueLeafServer.start(cityServer, 'leaf-330106', leafPasswords[330106], foreign);
      try {
        await eventually(() => expect(refusals()).toBeGreaterThan(before), 20_000);
        const c = await client(impostor.url, { inboxOf: '330106' }, null);
        // With the county's certificate the same subject reaches the city's stream (below); here it has no route.
        await expect(c.nc.request(names.up('330100', '330106'), 'not an envelope', { timeout: 5000 })).rejects.toThrow(/no responders/i);
      } finally {
        await impostor.stop();
      }
    });
  });

  describe("a county server in an attacker's hands (no authentication of its own, the county's leaf password and certificate)", () => {
    let rogue: RawClient;

    beforeAll(async () => {
      rogueServer = await RogueLeafServer.start(cityServer, 'leaf-330106', leafPasswords[330106], countyServer.leafTls);
      // With Xihu's inbox prefix: the only replies the city's server lets across this leaf link.
      // (The rogue server's own client port has no TLS.)
      rogue = await client(rogueServer.url, { inboxOf: '330106' }, null);
      await eventually(
        async () => {
          // The link is up once the city's stream acknowledges the county's own subject.
          const ack = await jetstream(rogue.nc).publish(names.up('330100', '330106'), 'not an envelope', { timeout: 1000 });
          expect(ack.stream).toBe('TDX_UP_330100');
        },
        20_000,
        250,
      );
    });

    it("gets nothing across the leaf link but the county's own subjects: the city's server routes no other", async () => {
      // The city's server tells a leaf of the subjects its leaf user may publish only, so the rogue
      // server has no route for anything else and answers "no responders" at once; a JetStream
      // request into the city's (or the province's) domain included.
      const noRoute = /no responders/i;
      for (const subject of [
        names.up('330100', '330108'),
        names.up('330000', '330100'),
        names.join('330100', '330108'),
        names.return('330100', '330108'),
        names.return('330000', '330100'),
        '$JS.c330100.API.STREAM.DELETE.TDX_UP_330100',
        '$JS.c330100.API.STREAM.INFO.TDX_UP_330100',
        '$JS.c330100.API.CONSUMER.MSG.NEXT.TDX_UP_330100.child_330108',
        '$JS.p330000.API.STREAM.DELETE.TDX_UP_330000',
      ]) {
        await expect(rogue.nc.request(subject, '{}', { timeout: 5000 })).rejects.toThrow(noRoute);
      }
      const city = await client(cityServer.url, { credential: credentials['330100'], inboxOf: '330100' });
      const jsm = await jetstreamManager(city.nc, { checkAPI: false });
      expect((await jsm.streams.info('TDX_UP_330100')).config.name).toBe('TDX_UP_330100');
    });

    it('has a join or return request signed by another node than its subject names refused by the application', async () => {
      const key = generateSigningKey();
      const join = sealRecord(
        {
          v: 1,
          kind: 'node.join',
          origin: '330108',
          seq: 0,
          at: new Date().toISOString(),
          body: { code: '330108', name: 'Binjiang District', level: 'county', parent: '330100', publicKey: key.publicKey },
        },
        key,
      );
      const joinAnswer = (await rogue.nc.request(names.join('330100', '330106'), encodeEnvelope(join), { timeout: 5000 })).json<{ payload: string }>();
      expect(JSON.parse(joinAnswer.payload).reply).toEqual({ ok: false, reason: 'the join is sent as 330106 but signed as 330108' });

      const { data, sig } = sealReturnMessage(
        { v: 1, kind: 'return.status', from: '330108', to: '330100', at: new Date().toISOString(), nonce: newReturnNonce(), body: { id: randomUUID() } },
        key,
      );
      const h = natsHeaders();
      h.set(RETURN_SIG_HEADER, sig);
      const answer = openReturnMessage((await rogue.nc.request(names.return('330100', '330106'), data, { timeout: 5000, headers: h })).data);
      expect(answer.message).toMatchObject({
        kind: 'return.error',
        from: '330100',
        body: { kind: 'forbidden', message: 'the message is sent as 330106 but signed as 330108' },
      });
    });
  });
});
