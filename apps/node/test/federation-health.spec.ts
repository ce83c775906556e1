import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { connect, Msg, NatsConnection } from '@nats-io/transport-node';
import { generateSigningKey, signHeartbeat, SigningKey, subjectsFor } from '@tdx/contracts';
import { api, apiOk, deleteNamespaceStreams, eventually, SHARED_NATS_URL, testNamespace } from '@tdx/testing';
import { loadOrCreateSigningKey } from '../src/config/signing-key.store';
import { inProcessFederation, RunningNode } from './support/nodes';
import { sampleInstitution } from './support/samples';

interface ChildBody {
  code: string;
  status: string;
  health: string;
  lastSeenAt: string | null;
  secondsSinceSeen: number | null;
  lastHeartbeatAt: string | null;
  heartbeatIntervalSeconds: number;
  lastLagSeconds: number | null;
  pending: number | null;
}

interface PendingJoinBody {
  code: string;
  publicKey: string;
  waitsAt: string;
  reportedVia: string | null;
}

/**
 * Federation health on a real province-city-county federation in this process, on the shared NATS
 * server under a namespace of its own, with heartbeats every second: each link's lastSeenAt and
 * health, a stopped child going stale and down, heartbeats forged, replayed or misaddressed by an
 * outsider on the bus changing nothing, joins pending below the province seen at the province with
 * the node that holds them, and the alert rules naming only metrics a node exports.
 */
describe('federation health', () => {
  const INTERVAL = 1;
  const namespace = testNamespace();
  const names = subjectsFor(namespace);
  const keyDir = mkdtempSync(join(tmpdir(), 'tdx-health-'));
  const federation = inProcessFederation(namespace, 'health', keyDir);
  const { databases, running } = federation;
  const env = { HEARTBEAT_INTERVAL: String(INTERVAL), TRUST_REFRESH: '1' };
  let outsider: NatsConnection;
  /** Genuine heartbeats of the county as they crossed the bus, for the replay attack. */
  const captured: Msg[] = [];

  const url = (code: string) => (running.get(code) as RunningNode).url;
  const keyOf = (code: string): SigningKey => loadOrCreateSigningKey(join(keyDir, `${code}.pem`)).key;

  async function status(code: string) {
    return (await apiOk(url(code), 'GET', '/api/v1/federation/status')).body;
  }
  async function child(parent: string, code: string): Promise<ChildBody> {
    const found = ((await status(parent)).children as ChildBody[]).find((c) => c.code === code);
    if (!found) throw new Error(`${parent} lists no child ${code}`);
    return found;
  }
  async function metrics(code: string): Promise<string> {
    const { status: answered, body } = await api(url(code), 'GET', '/metrics');
    expect(answered).toBe(200);
    return String(body);
  }
  function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
    const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
    const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && wanted.every((w) => l.includes(w)));
    return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
  }

  beforeAll(async () => {
    outsider = await connect({ servers: SHARED_NATS_URL });
    outsider.subscribe(names.heartbeat('330100', '330106'), { callback: (_, msg) => void captured.push(msg) });
    await federation.start('330000', undefined, env);
    // The city decides its counties' joins itself, so that one can be left waiting.
    await federation.start('330100', '330000', { ...env, JOIN_APPROVAL: 'operator' });
    keyOf('330106');
    await federation.start('330106', '330100', env);
    await eventually(async () => {
      const { body } = await api(url('330100'), 'GET', '/api/v1/federation/nodes?status=pending');
      expect(body.items.map((n: { code: string }) => n.code)).toContain('330106');
    }, 30_000);
    await apiOk(url('330100'), 'POST', '/api/v1/federation/nodes/330106/approve', { publicKey: keyOf('330106').publicKey });
    // A record from the county, so that the city has a lag to report.
    await apiOk(url('330106'), 'POST', '/api/v1/institutions', sampleInstitution('Xihu Water Supply'));
  }, 90_000);

  afterAll(async () => {
    await outsider?.close();
    for (const n of [...running.values()].reverse()) await n.stop().catch(() => undefined);
    for (const d of databases.values()) await d.drop();
    await deleteNamespaceStreams(SHARED_NATS_URL, namespace);
  });

  it('shows each child link as healthy, last seen by its heartbeat, at every tier', async () => {
    await eventually(async () => {
      const city = await child('330000', '330100');
      const county = await child('330100', '330106');
      for (const link of [city, county]) {
        expect(link).toMatchObject({ status: 'approved', health: 'healthy', heartbeatIntervalSeconds: INTERVAL });
        expect(link.lastHeartbeatAt).not.toBeNull();
        expect(link.secondsSinceSeen).toBeLessThanOrEqual(3 * INTERVAL);
      }
      expect(county.lastLagSeconds).not.toBeNull();
    }, 30_000);
    const before = (await child('330100', '330106')).lastHeartbeatAt as string;
    await eventually(async () => expect(Date.parse((await child('330100', '330106')).lastHeartbeatAt as string)).toBeGreaterThan(Date.parse(before)), 10_000);
    const scrape = await metrics('330100');
    expect(sample(scrape, 'tdx_child_link_health', { child: '330106', state: 'healthy' })).toBe(1);
    expect(sample(scrape, 'tdx_child_link_health', { child: '330106', state: 'down' })).toBe(0);
    expect(sample(scrape, 'tdx_child_link_last_seen_seconds', { child: '330106' })).toBeLessThanOrEqual(3 * INTERVAL);
    expect(scrape).toMatch(/^tdx_parent_link_joined\{node="330100"\} 1$/m);
  });

  it('shows the province a join pending at the city, with where it waits, and computes no lag for it', async () => {
    const waiting = keyOf('330108');
    await federation.start('330108', '330100', env);
    await eventually(async () => {
      const cityView = await child('330100', '330108');
      expect(cityView).toMatchObject({ status: 'pending', health: 'pending-approval', lastLagSeconds: null, pending: null, lastHeartbeatAt: null });
      expect(cityView.lastSeenAt).not.toBeNull();
      expect((await status('330100')).pendingJoins).toContainEqual(
        expect.objectContaining({ code: '330108', publicKey: waiting.publicKey, waitsAt: '330100', reportedVia: null }),
      );
      // The province holds no join itself: the city's heartbeat told it, and says through whom.
      const provinceJoins: PendingJoinBody[] = (await status('330000')).pendingJoins;
      expect(provinceJoins).toContainEqual(expect.objectContaining({ code: '330108', publicKey: waiting.publicKey, waitsAt: '330100', reportedVia: '330100' }));
    }, 30_000);
    const province = await metrics('330000');
    expect(sample(province, 'tdx_joins_pending', { waits_at: '330100' })).toBe(1);
    const city = await metrics('330100');
    expect(sample(city, 'tdx_child_link_health', { child: '330108', state: 'pending-approval' })).toBe(1);
    expect(sample(city, 'tdx_replication_lag_seconds', { child: '330108' })).toBeUndefined();
    expect(sample(city, 'tdx_child_link_last_seen_seconds', { child: '330108' })).toBeUndefined();
    expect((await child('330000', '330100')).health).toBe('healthy');

    // Approved at the city: the province no longer lists it as pending.
    await apiOk(url('330100'), 'POST', '/api/v1/federation/nodes/330108/approve', { publicKey: waiting.publicKey });
    await eventually(async () => {
      expect(((await status('330000')).pendingJoins as PendingJoinBody[]).map((j) => j.code)).not.toContain('330108');
      expect((await child('330100', '330108')).health).toBe('healthy');
    }, 30_000);
  });

  it('lets a stopped child go stale after three silent intervals and down after twelve, and no heartbeat an outsider publishes revives it', async () => {
    await eventually(async () => expect(captured.length).toBeGreaterThan(0), 10_000);
    await running.get('330106')?.stop();
    running.delete('330106');
    await eventually(async () => {
      const link = await child('330100', '330106');
      expect(link.health).toBe('stale');
      expect(link.secondsSinceSeen).toBeGreaterThan(3 * INTERVAL);
    }, 15_000);
    const silent = await child('330100', '330106');
    const refusedBefore = await metrics('330100');

    const county = keyOf('330106');
    const fresh = { from: '330106', to: '330100', intervalSeconds: 300, outboxBacklog: 0, oldestQueuedAt: null, pendingJoins: [] };
    const publish = (subject: string, data: string | Uint8Array) => outsider.publish(subject, data);
    const onCounty = names.heartbeat('330100', '330106');
    // Signed with a key the outsider made.
    publish(onCounty, JSON.stringify(signHeartbeat({ ...fresh, at: new Date().toISOString() }, generateSigningKey())));
    // A genuine heartbeat captured on the bus, replayed.
    for (const msg of captured.slice(-3)) publish(onCounty, msg.data);
    // The county's own signature, but sent on its sibling's subject, and one addressed to another parent.
    publish(names.heartbeat('330100', '330108'), JSON.stringify(signHeartbeat({ ...fresh, at: new Date().toISOString() }, county)));
    publish(onCounty, JSON.stringify(signHeartbeat({ ...fresh, to: '330200', at: new Date().toISOString() }, county)));
    // Not a heartbeat at all, one that reports a join outside the county, and one from no child of the city.
    publish(onCounty, '{"payload": 1}');
    publish(
      onCounty,
      JSON.stringify(
        signHeartbeat(
          {
            ...fresh,
            at: new Date().toISOString(),
            pendingJoins: [
              {
                code: '330212',
                name: 'x',
                publicKey: county.publicKey,
                waitsAt: '330200',
                firstSeen: new Date().toISOString(),
                lastSeen: new Date().toISOString(),
                attempts: 1,
              },
            ],
          },
          county,
        ),
      ),
    );
    publish(
      names.heartbeat('330100', '330212'),
      JSON.stringify(signHeartbeat({ ...fresh, from: '330212', at: new Date().toISOString() }, generateSigningKey())),
    );
    // Signed by the county long ago (a stolen old heartbeat that was never sent).
    publish(onCounty, JSON.stringify(signHeartbeat({ ...fresh, at: new Date(Date.now() - 10 * 60_000).toISOString() }, county)));

    const refused = (text: string, reason: string) => sample(text, 'tdx_heartbeats_refused_total', { reason }) ?? 0;
    await eventually(async () => {
      const after = await metrics('330100');
      const reasons = ['signature', 'replay', 'misaddressed', 'malformed', 'unknown-sender', 'stale'];
      const counted = Object.fromEntries(reasons.map((reason) => [reason, refused(after, reason) > refused(refusedBefore, reason)]));
      expect(counted).toEqual(Object.fromEntries(reasons.map((reason) => [reason, true])));
    }, 10_000);
    const still = await child('330100', '330106');
    expect(still.lastSeenAt).toBe(silent.lastSeenAt);
    expect(still.lastHeartbeatAt).toBe(silent.lastHeartbeatAt);
    expect(still.health).not.toBe('healthy');
    expect(still.heartbeatIntervalSeconds).toBe(INTERVAL);

    await eventually(async () => expect((await child('330100', '330106')).health).toBe('down'), 20_000);
    expect(sample(await metrics('330100'), 'tdx_child_link_health', { child: '330106', state: 'down' })).toBe(1);

    // Back: healthy again on its next heartbeat.
    await federation.start('330106', '330100', env);
    await eventually(async () => expect((await child('330100', '330106')).health).toBe('healthy'), 30_000);
  }, 90_000);

  it('names in the example alert rules only metrics that a running node exports', async () => {
    const rules = readFileSync(resolve(__dirname, '../../../deploy/prometheus/alerts.yml'), 'utf8');
    const named = [...new Set([...rules.matchAll(/\btdx_[a-z0-9_]+/g)].map((m) => m[0]))];
    expect(named.length).toBeGreaterThan(8);
    // The city has a parent and children: it exports every family, the province's trust list expiry included.
    const exported = new Set([...(await metrics('330100')).matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]));
    expect(named.filter((name) => !exported.has(name))).toEqual([]);
  });
});
