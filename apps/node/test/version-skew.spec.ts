import { execFile } from 'node:child_process';
import { createHash, randomUUID, sign } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Envelope, EntryState, generateSigningKey, PROTOCOL_VERSION, SigningKey, signingKeyFromPem, supportedRange } from '@tdx/contracts';
import {
  accessToken,
  api,
  createTestDatabase,
  deleteNamespaceStreams,
  eventually,
  NodeProcess,
  previousReleaseNode,
  PreviousReleaseBuild,
  SHARED_NATS_URL,
  TestDatabase,
  testNamespace,
} from '@tdx/testing';
import { RunningNode, startInProcessNode } from './support/nodes';
import { sampleEntry, sampleInstitution } from './support/samples';
import { awaitTrustLists, childStatus, digestFor, LinkInjector, sealedEntry, wire } from './support/replication';
import { returnedRows, sourceRowsIn, waitForJob, writeSourceRows } from './support/returns';

const CLI_MAIN = resolve(__dirname, '../../cli/dist/main.js');

/** The `tdx` command with `args`; its exit code and output. */
function runCli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) =>
    execFile(process.execPath, [CLI_MAIN, ...args], { env: { ...process.env, ...env } }, (error, stdout, stderr) =>
      done({ code: error ? Number((error as { code?: unknown }).code ?? 1) : 0, stdout, stderr }),
    ),
  );
}

/** A record as a node of any release would sign it: the JSON text and an Ed25519 signature over it. */
function sealAny(record: Record<string, unknown>, key: SigningKey): Envelope {
  const payload = JSON.stringify(record);
  return { payload, sig: sign(null, Buffer.from(payload), key.privateKey).toString('base64') };
}

const ITEMS = [
  { name: 'uscc', type: 'string', sensitive: false },
  { name: 'phone', type: 'string', sensitive: true },
];

/**
 * Version skew (docs/protocol.md, "Versions and skew"): the previous release's node, built from its
 * tag, runs beside this one in a three-tier chain both ways round: an old county under a new city
 * (province <- 330100 <- old 330106), and a new county under an old city (province <- old 330200 <-
 * 330212). Joins, replication and returns keep working across the skew; a record of a newer protocol
 * version, or of a kind this release does not know, is parked at the new city with its reason,
 * neither applied nor lost, and read again when the node (upgraded) starts.
 */
describe('version skew: the previous release beside this one', () => {
  const namespace = testNamespace();
  const keyDir = mkdtempSync(join(tmpdir(), 'tdx-skew-'));
  const databases: Record<string, TestDatabase> = {};
  const inProcess: Record<string, RunningNode> = {};
  const old: Record<string, NodeProcess> = {};
  const url = (code: string) => (inProcess[code] ?? old[code]).url;
  let release: PreviousReleaseBuild;
  let injector: LinkInjector;

  async function startNew(code: string, parentCode?: string): Promise<void> {
    databases[code] ??= await createTestDatabase(`skew15_${code}`);
    inProcess[code] = await startInProcessNode({
      code,
      parentCode,
      databaseUrl: databases[code].url,
      natsUrl: SHARED_NATS_URL,
      natsNamespace: namespace,
      keyFile: join(keyDir, `${code}.pem`),
    });
  }

  async function startOld(code: string, parentCode: string): Promise<void> {
    databases[code] = await createTestDatabase(`skew15_${code}`);
    old[code] = await NodeProcess.start(
      { code, parentCode, databaseUrl: databases[code].url, natsUrl: SHARED_NATS_URL, natsNamespace: namespace, keyFile: join(keyDir, `${code}.pem`) },
      { main: release.main },
    );
  }

  beforeAll(async () => {
    // Built once and cached (node_modules/.cache/tdx-previous-release); the time it took is printed for CI's record.
    release = previousReleaseNode((line) => process.stdout.write(`${line}\n`));
    process.stdout.write(
      `previous release ${release.tag} (${release.commit.slice(0, 12)}): ${release.built ? `built in ${release.seconds.toFixed(1)} s` : 'from the cache'}, dependencies ${release.dependencies}\n`,
    );
    await startNew('330000');
    await startNew('330100', '330000');
    await startOld('330200', '330000');
    await startOld('330106', '330100');
    await startNew('330212', '330200');
    injector = await LinkInjector.connect(SHARED_NATS_URL, namespace);
  }, 600_000);

  afterAll(async () => {
    await injector?.close();
    await Promise.all(Object.values(inProcess).map((n) => n.stop().catch(() => undefined)));
    await Promise.all(Object.values(old).map((n) => n.stop()));
    await deleteNamespaceStreams(SHARED_NATS_URL, namespace);
    await Promise.all(Object.values(databases).map((d) => d.drop()));
    rmSync(keyDir, { recursive: true, force: true });
  });

  it('runs the previous release where asked: the old nodes speak the same protocol version', async () => {
    expect(release.main).toContain(release.commit);
    for (const code of ['330200', '330106']) expect(old[code].main).toBe(release.main);
    // The old release has no protocol section in its status; this one says what it writes and reads.
    expect((await api(url('330200'), 'GET', '/api/v1/federation/status')).body.protocol).toBeUndefined();
    expect((await api(url('330100'), 'GET', '/api/v1/federation/status')).body.protocol).toMatchObject({ version: PROTOCOL_VERSION, parked: 0 });
  });

  it('joins across the skew: an old county under a new city, a new county under an old city', async () => {
    await old['330106'].waitJoined();
    await old['330200'].waitJoined();
    await eventually(async () => expect((await api(url('330212'), 'GET', '/api/v1/federation/status')).body.parent.joined).toBe(true), 60_000);
    await awaitTrustLists(['330000', '330100', '330200', '330106', '330212'].map(url), ['330000', '330100', '330200', '330106', '330212']);
  });

  it('replicates upward across the skew both ways round, to equal digests at the province', async () => {
    const made: { origin: string; id: string }[] = [];
    for (const origin of ['330106', '330212']) {
      const institution = await api(url(origin), 'POST', '/api/v1/institutions', sampleInstitution(`Water Supply ${origin}`));
      expect(institution.status).toBe(201);
      for (let i = 0; i < 3; i++) {
        const entry = await api(url(origin), 'POST', '/api/v1/catalog/entries', sampleEntry(institution.body.id, { name: `Meters ${origin} ${i}` }));
        expect(entry.status).toBe(201);
        made.push({ origin, id: entry.body.id });
      }
    }
    const parentOf: Record<string, string> = { '330106': '330100', '330212': '330200' };
    for (const { origin, id } of made) {
      const atOrigin = (await api(url(origin), 'GET', `/api/v1/catalog/entries/${id}`)).body;
      await eventually(async () => {
        for (const holder of [parentOf[origin], '330000']) expect((await api(url(holder), 'GET', `/api/v1/catalog/entries/${id}`)).body).toEqual(atOrigin);
      }, 60_000);
    }
    for (const origin of ['330106', '330212']) {
      const own = await digestFor(url(origin), origin);
      expect(own?.count).toBeGreaterThanOrEqual(3);
      await eventually(async () => expect(await digestFor(url('330000'), origin)).toEqual(own), 60_000);
    }
  });

  it('returns rows from the new province to an old county and to a new county under an old city', async () => {
    const province = url('330000');
    const institution = await api(province, 'POST', '/api/v1/institutions', sampleInstitution('Provincial Market Regulator'));
    const entry = await api(province, 'POST', '/api/v1/catalog/entries', {
      ...sampleEntry(institution.body.id, { name: 'Enterprise register', grade: 'L2', openType: 'restricted' }),
      dataItems: ITEMS,
    });
    expect(entry.status).toBe(201);
    const rows = ['330106', '330212', '330108'].flatMap((region) =>
      Array.from({ length: 12 }, (_, i) => ({
        key: `${region}-${i}`,
        region,
        data: { uscc: `91${region}MA${String(i).padStart(8, '0')}`, phone: `1380000${region}` },
      })),
    );
    await writeSourceRows(databases['330000'], entry.body.id, rows);
    for (const county of ['330106', '330212']) {
      const request = await api(url(county), 'POST', '/api/v1/returns/requests', {
        holder: '330000',
        entryId: entry.body.id,
        purpose: 'supervision of the district',
      });
      expect(request.status).toBe(201);
      expect(request.body.state).toBe('granted');
      const jobs = await waitForJob(url(county), request.body.id);
      expect(jobs[0]).toMatchObject({ state: 'done', rowsDone: 12 });
      const held = await returnedRows(databases[county], request.body.id);
      const expected = await sourceRowsIn(databases['330000'], entry.body.id, `region_code = '${county}'`);
      expect([...held.keys()]).toEqual([...expected.keys()]);
      // Masked (phone is sensitive at L2), the rest as held.
      for (const [key, row] of held) {
        expect(row.data.uscc).toBe(expected.get(key)?.data.uscc);
        expect(row.data.phone).not.toBe(expected.get(key)?.data.phone);
      }
    }
  });

  it('parks a signed record of a newer protocol version, and one of an unknown kind, at the new city: not applied, not forwarded, not lost', async () => {
    const countyKey = signingKeyFromPem(readFileSync(join(keyDir, '330106.pem'), 'utf8'));
    const city = url('330100');
    const provider = (await api(url('330106'), 'GET', '/api/v1/institutions?limit=1')).body.items[0].id as string;
    const template = (await api(url('330106'), 'POST', '/api/v1/catalog/entries', sampleEntry(provider, { name: 'Template for crafted records' })))
      .body as EntryState;
    const id = randomUUID();
    const body: EntryState = { ...template, id, code: `330106-V-${id.slice(0, 8)}`, name: 'Written by a newer release', version: 1 };
    const at = new Date().toISOString();
    const newer = sealAny(
      { v: PROTOCOL_VERSION + 1, kind: 'entry.upsert', origin: '330106', seq: 9_000_001, at, body: { ...body, energyLabel: 'A' } },
      countyKey,
    );
    const unknownKind = sealAny({ v: PROTOCOL_VERSION, kind: 'entry.merge', origin: '330106', seq: 9_000_002, at, body: { into: id } }, countyKey);
    // A newer version signed by a key nobody trusts is no record of the county's: refused, not parked.
    const forged = sealAny({ v: PROTOCOL_VERSION + 1, kind: 'entry.upsert', origin: '330106', seq: 9_000_003, at, body }, generateSigningKey());
    // Counted from when the city holds the template, so that only the crafted records come after.
    await eventually(async () => expect((await api(city, 'GET', `/api/v1/catalog/entries/${template.id}`)).status).toBe(200), 60_000);
    const before = await childStatus(city, '330106');
    for (const envelope of [newer, unknownKind, forged]) await injector.publish('330100', '330106', wire(envelope));

    const parked = await eventually(async () => {
      const list = await api(city, 'GET', '/api/v1/federation/parked');
      expect(list.status).toBe(200);
      expect(list.body.items).toHaveLength(2);
      return list.body;
    }, 60_000);
    expect(parked.protocol).toMatchObject({ version: PROTOCOL_VERSION, oldestSupported: 1, parked: 2 });
    const byKind = Object.fromEntries(parked.items.map((p: { kind: string }) => [p.kind, p]));
    expect(byKind['entry.upsert']).toMatchObject({
      sender: '330106',
      origin: '330106',
      protocolVersion: PROTOCOL_VERSION + 1,
      parkedUnderVersion: PROTOCOL_VERSION,
      payloadSha256: createHash('sha256').update(newer.payload).digest('hex'),
      reason: `the record is of protocol version ${PROTOCOL_VERSION + 1}, newer than this node understands (${supportedRange()}): upgrade this node`,
    });
    expect(byKind['entry.merge'].reason).toContain('kind "entry.merge", which this node does not know');
    // Kept whole, to be read again: the very text the county signed.
    const [stored] = await databases['330100'].query<{ payload: string; sig: string }>(`SELECT payload, sig FROM parked_message WHERE kind = 'entry.upsert'`);
    expect(stored).toEqual(newer);

    await eventually(async () => {
      const status = await childStatus(city, '330106');
      expect(status.rejected).toBe(before.rejected + 1); // the forged one
      expect(status.applied).toBe(before.applied); // none of the crafted ones
    }, 60_000);
    expect(await injector.pending('330100', '330106')).toBe(0); // acknowledged: the stream no longer holds them
    // Neither applied here nor passed up.
    for (const holder of ['330100', '330000']) expect((await api(url(holder), 'GET', `/api/v1/catalog/entries/${id}`)).status).toBe(404);
    // The gauge an operator alerts on.
    const metrics = await api(city, 'GET', '/metrics');
    expect(String(metrics.body)).toMatch(/^tdx_parked_messages\{node="330100"\} 2$/m);
    // And the operator's command, as a person reads it (run asynchronously: the city answers from this very process).
    const cli = await runCli(['federation', 'parked', '--node', city], { TDX_TOKEN: await accessToken(city), TDX_NODE_URL: '' });
    expect(cli).toMatchObject({ code: 0, stderr: '' });
    expect(cli.stdout).toContain('2 parked');
    expect(cli.stdout).toContain(`protocol version ${PROTOCOL_VERSION + 1}, newer than this node understands`);

    // The link is not held up: the old county's next change arrives as ever.
    const after = await api(url('330106'), 'POST', '/api/v1/catalog/entries', sampleEntry(provider, { name: 'After the parked ones' }));
    await eventually(async () => expect((await api(url('330000'), 'GET', `/api/v1/catalog/entries/${after.body.id}`)).status).toBe(200), 60_000);
  });

  it('shows why parents upgrade first: the previous release refuses a newer record outright, keeping only an excerpt', async () => {
    const countyKey = signingKeyFromPem(readFileSync(join(keyDir, '330212.pem'), 'utf8'));
    const before = await childStatus(url('330200'), '330212');
    const newer = sealAny(
      { v: PROTOCOL_VERSION + 1, kind: 'entry.upsert', origin: '330212', seq: 9_000_010, at: new Date().toISOString(), body: {} },
      countyKey,
    );
    await injector.publish('330200', '330212', wire(newer));
    await eventually(async () => expect((await childStatus(url('330200'), '330212')).rejected).toBe(before.rejected + 1), 60_000);
    const [refused] = await databases['330200'].query<{ reason: string }>(`SELECT reason FROM rejected_message ORDER BY id DESC LIMIT 1`);
    expect(refused.reason).toBe('payload is not a version-1 replication record');
  });

  it('reads parked records again when the node starts: what it now reads is applied and passed up, the rest stays', async () => {
    // A record a release that could not read it parked (as an upgraded node finds it): a valid entry of the county's.
    const countyKey = signingKeyFromPem(readFileSync(join(keyDir, '330106.pem'), 'utf8'));
    const provider = (await api(url('330106'), 'GET', '/api/v1/institutions?limit=1')).body.items[0].id as string;
    const template = (await api(url('330106'), 'POST', '/api/v1/catalog/entries', sampleEntry(provider, { name: 'Second template' }))).body as EntryState;
    const id = randomUUID();
    const envelope = sealedEntry({ ...template, id, code: `330106-P-${id.slice(0, 8)}`, name: 'Parked by an older release', version: 1 }, countyKey);
    await databases['330100'].query(
      `INSERT INTO parked_message (sender, origin, protocol_version, kind, reason, payload, sig, payload_sha256, parked_under_version)
       VALUES ('330106', '330106', 1, 'entry.upsert', 'parked by a release that could not read it', $1, $2, $3, 0)`,
      [envelope.payload, envelope.sig, createHash('sha256').update(envelope.payload).digest('hex')],
    );

    // The upgrade: the city stops and starts again on its own database and key.
    await inProcess['330100'].stop();
    await startNew('330100', '330000');
    const city = url('330100');
    await eventually(async () => {
      for (const holder of ['330100', '330000'])
        expect((await api(url(holder), 'GET', `/api/v1/catalog/entries/${id}`)).body.name).toBe('Parked by an older release');
    }, 60_000);
    const list = await eventually(async () => {
      const body = (await api(city, 'GET', '/api/v1/federation/parked')).body;
      // The unknown kind was read again and is still unreadable; the newer version waits for a release that reads it.
      expect(body.items.map((p: { kind: string; attempts: number }) => [p.kind, p.attempts > 0]).sort()).toEqual([
        ['entry.merge', true],
        ['entry.upsert', false],
      ]);
      return body;
    }, 60_000);
    expect(list.protocol.parked).toBe(2);
    const reread = await api(city, 'POST', '/api/v1/federation/parked/reread', {});
    expect(reread.status).toBe(200);
    expect(reread.body).toEqual({ released: 0, kept: 1 });
    const audit = await databases['330100'].query<{ outcome: string }>(
      `SELECT outcome FROM audit_record WHERE action = 'replication.parked.reread' ORDER BY seq`,
    );
    expect(audit.map((a) => a.outcome)).toEqual(expect.arrayContaining(['applied', 'parked']));
  });
});
