// `tdx audit` against a real node (the built service on the real PostgreSQL and NATS): verifying
// the log at the node and an export offline, the exit code that names tampering, and exporting.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { api, createTestDatabase, deleteNamespaceStreams, NodeProcess, SHARED_NATS_URL, type TestDatabase, testNamespace } from '@tdx/testing';
import { startNode, tdx, tdxLogin } from './support/tdx';

const namespace = testNamespace();
const dir = mkdtempSync(join(tmpdir(), 'tdx-cli-audit-'));
let db: TestDatabase;
let node: NodeProcess;

/** As an attacker with database access: the append-only triggers off for this session. */
async function tamper(sql: string): Promise<void> {
  await db.query('SET session_replication_role = replica');
  try {
    await db.query(sql);
  } finally {
    await db.query('SET session_replication_role = origin');
  }
}

beforeAll(async () => {
  db = await createTestDatabase('cli_audit');
  // No retention minimum, so that the prune test can prune what it has just written.
  node = await startNode({ code: '330000', databaseUrl: db.url, natsNamespace: namespace, env: { AUDIT_RETENTION_DAYS: '0' } });
  await tdxLogin(node.url);
  for (let i = 0; i < 8; i++) {
    expect((await api(node.url, 'POST', '/api/v1/institutions', { name: `Bureau ${i}`, kind: 'government' })).status).toBe(201);
  }
});

afterAll(async () => {
  await node?.stop();
  await db?.drop();
  await deleteNamespaceStreams(SHARED_NATS_URL, namespace);
});

describe('tdx audit', () => {
  it('verify: exit 0 on an intact log, with the head', async () => {
    const result = await tdx(['audit', 'verify', '--node', node.url]);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(/^audit log of 330000: intact, \d+ records checked$/m);
    expect(result.stdout).toMatch(/^head {7}\d+:[0-9a-f]{64}$/m);
  });

  it('list: a page of records, filtered', async () => {
    const result = await tdx(['audit', 'list', '--node', node.url, '--action', 'POST /api/v1/institutions', '--limit', '3']);
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n')[0]).toMatch(/^seq +at +actor +action +target +outcome$/);
    expect(result.stdout).toContain('user:admin');
    expect(result.stdout).toMatch(/^next page: --cursor \S+$/m);
  });

  it('export > file, then verify --file offline; an edited export exits 5 naming the record', async () => {
    const exported = await tdx(['audit', 'export', '--node', node.url]);
    expect(exported.code).toBe(0);
    expect(exported.stderr).toMatch(/exported (\d+) audit records; the node's head was (\d+):([0-9a-f]{64})/);
    const file = join(dir, 'export.ndjson');
    writeFileSync(file, exported.stdout);
    const lines = exported.stdout.trimEnd().split('\n');
    expect(JSON.parse(lines[0])).toMatchObject({ seq: 1, prevHash: '0'.repeat(64) });

    const offline = await tdx(['audit', 'verify', '--file', file]);
    expect(offline.code).toBe(0);
    expect(offline.stdout).toContain(`${file}: intact, ${lines.length} records checked`);

    const victim = lines.findIndex((line) => line.includes('"actor":"user:admin"'));
    const edited = lines.map((line, i) => (i === victim ? line.replace('"actor":"user:admin"', '"actor":"user:someone-else"') : line));
    writeFileSync(join(dir, 'edited.ndjson'), `${edited.join('\n')}\n`);
    const caught = await tdx(['audit', 'verify', '--file', join(dir, 'edited.ndjson')]);
    expect(caught.code).toBe(5);
    expect(caught.stderr).toContain(`first bad record: ${victim + 1} (changed)`);

    writeFileSync(join(dir, 'cut.ndjson'), `${lines.filter((_, i) => i !== 4).join('\n')}\n`);
    const cut = await tdx(['audit', 'verify', '--file', join(dir, 'cut.ndjson'), '--json']);
    expect(cut.code).toBe(5);
    expect(JSON.parse(cut.stdout).error).toMatchObject({ kind: 'tampered', exitCode: 5, result: { ok: false, firstBad: { seq: 5, kind: 'missing' } } });
  });

  it('verify at the node: exit 5 naming the first bad record after a row was changed in the database', async () => {
    const [original] = await db.query<{ actor: string }>('SELECT actor FROM audit_record WHERE seq = 4');
    await tamper(`UPDATE audit_record SET actor = 'user:nobody' WHERE seq = 4`);
    try {
      const result = await tdx(['audit', 'verify', '--node', node.url]);
      expect(result.code).toBe(5);
      expect(result.stderr).toContain('first bad record: 4 (changed): record 4 does not match its hash');
      const json = await tdx(['audit', 'verify', '--node', node.url, '--json']);
      expect(json.code).toBe(5);
      expect(JSON.parse(json.stdout).error.result).toMatchObject({ ok: false, node: '330000', firstBad: { seq: 4, kind: 'changed' } });
    } finally {
      await tamper(`UPDATE audit_record SET actor = '${original.actor}' WHERE seq = 4`);
    }
    expect((await tdx(['audit', 'verify', '--node', node.url])).code).toBe(0);
  });

  it('verify --anchor: a head kept from an earlier export must still be in the log', async () => {
    const exported = await tdx(['audit', 'export', '--node', node.url]);
    const anchor = /head was (\d+:[0-9a-f]{64})/.exec(exported.stderr)?.[1] as string;
    expect((await tdx(['audit', 'verify', '--node', node.url, '--anchor', anchor])).code).toBe(0);
    const wrong = `${anchor.split(':')[0]}:${'f'.repeat(64)}`;
    const result = await tdx(['audit', 'verify', '--node', node.url, '--anchor', wrong]);
    expect(result.code).toBe(5);
    expect(result.stderr).toContain('(anchor-mismatch)');
  });

  it('bad input: a bad --anchor or an unreadable file is a usage error (2); a bad time is the node refusing (1)', async () => {
    expect((await tdx(['audit', 'verify', '--node', node.url, '--anchor', '12:abc'])).code).toBe(2);
    expect((await tdx(['audit', 'verify', '--file', join(dir, 'no-such-file.ndjson')])).code).toBe(2);
    const refused = await tdx(['audit', 'export', '--node', node.url, '--from', 'yesterday']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('from:');
    expect(refused.stdout).toBe('');
  });

  it('export --from: the range starts at the first record written at or after that time, and verifies on its own', async () => {
    const all = readFileSync(join(dir, 'export.ndjson'), 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { seq: number; at: string });
    const from = all[2].at;
    const ranged = await tdx(['audit', 'export', '--node', node.url, '--from', from]);
    expect(ranged.code).toBe(0);
    const first = JSON.parse(ranged.stdout.split('\n')[0]) as { seq: number };
    expect(first.seq).toBe(all[2].seq);
    writeFileSync(join(dir, 'ranged.ndjson'), ranged.stdout);
    expect((await tdx(['audit', 'verify', '--file', join(dir, 'ranged.ndjson')])).code).toBe(0);
  });

  it('prune --file: checks the export, prunes the log through its last record, and the rest still verifies; a tampered or repeated export prunes nothing', async () => {
    const all = readFileSync(join(dir, 'export.ndjson'), 'utf8').trimEnd().split('\n');
    writeFileSync(join(dir, 'archive.ndjson'), `${all.slice(0, 5).join('\n')}\n`);
    writeFileSync(join(dir, 'archive-edited.ndjson'), `${all.slice(0, 5).join('\n').replace('"outcome":"201"', '"outcome":"200"')}\n`);
    const tampered = await tdx(['audit', 'prune', '--node', node.url, '--file', join(dir, 'archive-edited.ndjson')]);
    expect(tampered.code).toBe(5);
    expect((await db.query<{ min: number }>('SELECT min(seq)::int AS min FROM audit_record'))[0].min).toBe(1);

    const pruned = await tdx(['audit', 'prune', '--node', node.url, '--file', join(dir, 'archive.ndjson')]);
    expect(pruned.stderr).toBe('');
    expect(pruned.code).toBe(0);
    expect(pruned.stdout).toMatch(/^pruned 5 records of 330000's audit log, through 5; it now starts at 6$/m);
    expect((await db.query<{ min: number }>('SELECT min(seq)::int AS min FROM audit_record'))[0].min).toBe(6);
    expect((await tdx(['audit', 'verify', '--node', node.url])).code).toBe(0);
    expect((await tdx(['audit', 'verify', '--file', join(dir, 'archive.ndjson')])).code).toBe(0);

    const again = await tdx(['audit', 'prune', '--node', node.url, '--file', join(dir, 'archive.ndjson')]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/not in the log/);
  });
});
