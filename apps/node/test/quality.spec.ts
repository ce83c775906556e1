import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { publicKeyFromBase64url, signingKeyFromPem, verifyEnvelope } from '@tdx/contracts';
import { api, deleteNamespaceStreams, eventually, SHARED_NATS_URL, testNamespace } from '@tdx/testing';
import { inProcessFederation, RunningNode } from './support/nodes';
import { sampleEntry, sampleInstitution } from './support/samples';
import { writeSourceRows } from './support/returns';
import { awaitTrustLists } from './support/replication';
import { residentIdOf, usccOf, withWrongCheck } from './support/check-codes';

/**
 * Quality checks (Article 7) on a real three-tier federation in this process: province 330000,
 * Hangzhou 330100, Xihu 330106. A dataset at Xihu carries planted defects; its scores must equal a
 * computation written here from the planted counts and the documented formulas (docs/quality.md),
 * and reach the city and the province unchanged, signed by Xihu.
 */
describe('quality checks (Article 7)', () => {
  const namespace = testNamespace();
  const keyDir = mkdtempSync(join(tmpdir(), 'tdx-quality-'));
  const federation = inProcessFederation(namespace, 'quality', keyDir);
  const nodes: Record<string, RunningNode> = {};
  const url = (code: string) => nodes[code].url;
  const db = (code: string) => federation.databases.get(code)!;

  beforeAll(async () => {
    nodes['330000'] = await federation.start('330000', undefined, {});
    nodes['330100'] = await federation.start('330100', '330000', {});
    nodes['330106'] = await federation.start('330106', '330100', {});
    await eventually(async () => {
      const known = await db('330000').query<{ code: string }>(`SELECT code FROM known_node ORDER BY code`);
      expect(known.map((k) => k.code)).toEqual(['330100', '330106']);
    }, 30_000);
    await awaitTrustLists(
      Object.values(nodes).map((n) => n.url),
      ['330000', '330100', '330106'],
    );
  }, 90_000);

  afterAll(async () => {
    await Promise.all([...federation.running.values()].map((n) => n.stop()));
    await deleteNamespaceStreams(SHARED_NATS_URL, namespace);
    await Promise.all([...federation.databases.values()].map((d) => d.drop()));
  });

  it('refuses a rule set that does not parse, naming the field and the rule, and stores nothing; a good one becomes the next version', async () => {
    const current = (await api(url('330106'), 'GET', '/api/v1/supervision/quality/rules')).body;
    expect(current.version).toBe(1);
    const set = { dimensionWeights: current.dimensionWeights, rules: current.rules };
    const bad = { ...set, rules: set.rules.map((r: { id: string }) => (r.id === 'item.uscc-check-digit' ? { ...r, weight: 0 } : r)) };
    const refused = await api(url('330106'), 'PUT', '/api/v1/supervision/quality/rules', bad);
    expect(refused.status).toBe(400);
    const problem = JSON.stringify(refused.body);
    expect(problem).toContain('weight');
    expect(problem).toContain('item.uscc-check-digit');
    const wrongDimension = { ...set, rules: set.rules.map((r: { id: string }) => (r.id === 'item.date-valid' ? { ...r, dimension: 'timeliness' } : r)) };
    expect((await api(url('330106'), 'PUT', '/api/v1/supervision/quality/rules', wrongDimension)).status).toBe(400);
    expect((await api(url('330106'), 'GET', '/api/v1/supervision/quality/rules')).body.version).toBe(1);
    const stored = await api(url('330106'), 'PUT', '/api/v1/supervision/quality/rules', set);
    expect(stored.status).toBe(200);
    expect(stored.body).toMatchObject({ version: 2, setBy: 'user:admin', rules: set.rules });
    expect((await api(url('330106'), 'GET', '/api/v1/supervision/quality/rules')).body.version).toBe(2);
  });

  it('scores a dataset with planted defects as computed independently, and the scores reach the city and the province signed by the county', async () => {
    const providerId = (await api(url('330106'), 'POST', '/api/v1/institutions', sampleInstitution('Xihu Market Regulator'))).body.id as string;
    const created = await api(
      url('330106'),
      'POST',
      '/api/v1/catalog/entries',
      sampleEntry(providerId, {
        dataItems: [
          { name: '统一社会信用代码', type: 'string', sensitive: false },
          { name: '法定代表人身份证号', type: 'string', sensitive: true },
          { name: '行政区划代码', type: 'string', sensitive: false },
          { name: '登记日期', type: 'date', sensitive: false },
          { name: '备注', type: 'string', sensitive: false },
        ],
      }),
    );
    expect(created.status).toBe(201);
    const entryId = created.body.id as string;

    // 40 rows; planted: 3 bad ID check digits, 4 rows without a division code and 1 blank date
    // (5 missing cells), 2 repeated USCCs, 1 impossible date; every row last written 3 days ago.
    const R = 40;
    const badIds = [0, 1, 2];
    const noDivision = [3, 4, 5, 6];
    const blankDate = [7];
    const repeatedUscc = [8, 9];
    const impossibleDate = [12];
    const rows = Array.from({ length: R }, (_, i) => {
      const uscc = usccOf(`91330106MA${String(repeatedUscc.includes(i) ? i + 2 : i).padStart(7, '0')}`);
      const id = residentIdOf(
        `3301061990${String(101 + (i % 28))
          .padStart(4, '0')
          .slice(-4)}${String(i).padStart(3, '0')}`.slice(0, 17),
      );
      const data: Record<string, unknown> = {
        统一社会信用代码: uscc,
        法定代表人身份证号: badIds.includes(i) ? withWrongCheck(id) : id,
        行政区划代码: '330106',
        登记日期: blankDate.includes(i) ? ' ' : impossibleDate.includes(i) ? '2023-02-29' : '2024-03-01',
      };
      if (noDivision.includes(i)) delete data['行政区划代码'];
      return { key: `r-${String(i).padStart(2, '0')}`, region: '330106', data };
    });
    await writeSourceRows(db('330106'), entryId, rows);
    await db('330106').query(`UPDATE dataset_row SET updated_at = now() - interval '3 days' WHERE entry_id = $1`, [entryId]);

    const run = await api(url('330106'), 'POST', '/api/v1/supervision/quality/run');
    expect(run.status).toBe(200);

    // The computation of docs/quality.md, from the planted counts: 100 × (1 − Σ weight·failed / Σ weight·checked).
    const pct = (failed: number, checked: number) => Number((100 * (1 - failed / checked)).toFixed(2));
    const missing = noDivision.length + blankDate.length;
    const completeness = pct(missing, R * 4); // four required items (备注 is optional)
    // Weights: USCC 3, resident ID 3, division code 2, date 1; blank values are not checked for validity.
    const validity = pct(
      3 * 0 + 3 * badIds.length + 2 * 0 + 1 * impossibleDate.length,
      3 * R + 3 * R + 2 * (R - noDivision.length) + 1 * (R - blankDate.length),
    );
    const uniqueness = pct(repeatedUscc.length, 2 * R);
    const dimensions = { conformance: 100, completeness, validity, uniqueness, timeliness: 0 };
    const score = Number(((20 * 100 + 25 * completeness + 25 * validity + 10 * uniqueness + 20 * 0) / 100).toFixed(2));
    const defects = [
      { rule: 'item.required-present', count: missing },
      { rule: 'item.resident-id-check-digit', count: badIds.length },
      { rule: 'item.uscc-unique', count: repeatedUscc.length },
      { rule: 'dataset.update-on-time', count: 1 },
      { rule: 'item.date-valid', count: impossibleDate.length },
    ];
    const expected = { scope: 'node', ruleSetVersion: 2, score, dimensions, entries: 1, rows: R, defects };
    expect(run.body.node).toEqual(expected);

    const detail = await api(url('330106'), 'GET', `/api/v1/supervision/quality/entries/${entryId}`);
    expect(detail.status).toBe(200);
    expect(detail.body).toMatchObject({ entryId, rows: R, score, dimensions });
    const byRule = Object.fromEntries(detail.body.rules.map((r: { rule: string }) => [r.rule, r]));
    expect(byRule['item.resident-id-check-digit'].sampleRowKeys).toEqual(['r-00', 'r-01', 'r-02']);
    expect(byRule['item.uscc-unique'].sampleRowKeys.sort()).toEqual(['r-10', 'r-11']);
    expect(JSON.stringify(detail.body)).not.toContain('91330106');

    const countyKey = signingKeyFromPem(readFileSync(join(keyDir, '330106.pem'), 'utf8'));
    for (const at of ['330100', '330000']) {
      await eventually(async () => {
        const [held] = await db(at).query<{ data: unknown; payload: string; sig: string }>(
          `SELECT data, payload, sig FROM supervision_state WHERE topic = 'quality' AND origin = '330106' AND key = 'node'`,
        );
        expect(held?.data).toEqual(expected);
        expect(verifyEnvelope({ payload: held.payload, sig: held.sig }, publicKeyFromBase64url(countyKey.publicKey))).toBe(true);
        expect(JSON.stringify(JSON.parse(held.payload))).toContain(`"score":${score}`);
      }, 20_000);
    }
    const listed = await api(url('330000'), 'GET', '/api/v1/supervision/quality?within=330106&scope=node');
    expect(listed.status).toBe(200);
    expect(listed.body.items).toEqual([expect.objectContaining({ origin: '330106', key: 'node', data: expected })]);
    const institution = await api(url('330000'), 'GET', '/api/v1/supervision/quality?within=330106&scope=institution');
    expect(institution.body.items[0].data).toEqual({ ...expected, scope: 'institution', institutionId: providerId });
  }, 120_000);
});

describe('the scheduled quality check', () => {
  const namespace = testNamespace();
  const federation = inProcessFederation(namespace, 'qsched', mkdtempSync(join(tmpdir(), 'tdx-qsched-')));

  afterAll(async () => {
    await Promise.all([...federation.running.values()].map((n) => n.stop()));
    await deleteNamespaceStreams(SHARED_NATS_URL, namespace);
    await Promise.all([...federation.databases.values()].map((d) => d.drop()));
  });

  it('runs by itself every QUALITY_CHECK_INTERVAL_HOURS and publishes the node state', async () => {
    // 0.001 hours: 3.6 seconds.
    const node = await federation.start('330000', undefined, { QUALITY_CHECK_INTERVAL_HOURS: '0.001' });
    const providerId = (await api(node.url, 'POST', '/api/v1/institutions', sampleInstitution())).body.id as string;
    expect((await api(node.url, 'POST', '/api/v1/catalog/entries', sampleEntry(providerId))).status).toBe(201);
    await eventually(async () => {
      const [held] = await federation.databases
        .get('330000')!
        .query<{ data: { entries: number } }>(`SELECT data FROM supervision_state WHERE topic = 'quality' AND origin = '330000' AND key = 'node'`);
      expect(held?.data.entries).toBe(1);
    }, 30_000);
  }, 60_000);
});
