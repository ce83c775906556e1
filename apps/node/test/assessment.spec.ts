import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash, randomUUID } from 'node:crypto';
import { accessToken, api, apiOk, apiWith, testNamespace, type TestDatabase } from '@tdx/testing';
import { ASSESSMENT_INDICATORS, type AssessmentIndicator, type AssessmentWeights, type DivisionScorecard } from '@tdx/contracts';
import { ZHEJIANG_DIVISIONS } from '@tdx/divisions';
import { inProcessFederation } from './support/nodes';
import { awaitTrustLists } from './support/replication';
import { accountWith } from './support/auth';
import { sampleEntry, sampleInstitution } from './support/samples';

const CODES = ['330000', '330100', '330106'];
const YEAR = new Date().getUTCFullYear();

/** A catalog entry as the test made it: what the scorecard's rules look at, and the test's own verdicts. */
interface Made {
  id: string;
  origin: string;
  type: 'data' | 'application';
  status: 'active' | 'retired';
  grade: 'L1' | 'L2' | 'L4';
  openType: 'unconditional' | 'restricted' | 'prohibited';
  format: string | null;
  releaseDate: string | null;
  createdAt: string;
}

/** The test's own reading of the rules of docs/assessment.md, kept apart from the node's SQL. */
const counted = (e: Made) => e.status === 'active' && e.type === 'data' && Number(e.createdAt.slice(0, 4)) <= YEAR;
const complete = (e: Made) => e.format !== null && e.releaseDate !== null;
const openable = (e: Made) => e.grade !== 'L4';
const opened = (e: Made) => e.openType !== 'prohibited';

/**
 * Inserts entries into the province's catalog in the stored form of replicas from its subtree
 * (origin: the county or city), as the federation would have applied them. Straight into the
 * table: the scorecard reads what the province holds, and this sets up many divisions' catalogs
 * without running a node for each.
 */
async function insertReplicas(db: TestDatabase, made: Made[]): Promise<void> {
  for (const e of made) {
    await db.query(
      `INSERT INTO catalog_entry (id, origin, code, type, name, summary, provider_id, category, grade, share_type, open_type, update_cycle,
         format, region_scope, data_items, related_resources, release_date, status, version, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, 'summary', $6, 'test', $7, 'unconditional', $8, 'daily', $9, $2, $10::jsonb, '[]', $11, $12, 1, $13, $13)`,
      [
        e.id,
        e.origin,
        `T-${e.id.slice(0, 8)}`,
        e.type,
        `entry ${e.id.slice(0, 8)}`,
        randomUUID(),
        e.grade,
        e.openType,
        e.format,
        JSON.stringify([{ name: 'a', type: 'string', sensitive: false }]),
        e.releaseDate,
        e.status,
        e.createdAt,
      ],
    );
  }
}

/**
 * Inserts a node-level state of a topic whose schema this release does not define yet (quality and
 * access are filled in by their own modules): straight into supervision_state, the stored form a
 * node holds after its federation applied a child's signed state. payload/sig are placeholders:
 * the scorecard reads the data and names the version, it does not re-verify the signature.
 */
async function insertState(db: TestDatabase, topic: 'quality' | 'access', origin: string, data: unknown, computedAt: string): Promise<number> {
  const version = Date.parse(computedAt);
  await db.query(
    `INSERT INTO supervision_state (origin, topic, key, version, computed_at, data, payload, sig) VALUES ($1, $2, 'node', $3, $4, $5::jsonb, 'test', 'test')`,
    [origin, topic, version, computedAt, JSON.stringify(data)],
  );
  return version;
}

function entry(origin: string, i: number, o: Partial<Made> = {}): Made {
  return {
    id: randomUUID(),
    origin,
    type: 'data',
    status: 'active',
    grade: 'L1',
    openType: 'unconditional',
    format: 'csv',
    releaseDate: '2020-01-01',
    createdAt: `${YEAR}-0${1 + (i % 9)}-15T00:00:00.000Z`,
    ...o,
  };
}

describe('annual assessment (Article 5)', () => {
  const namespace = testNamespace();
  const federation = inProcessFederation(namespace, 'assess', mkdtempSync(join(tmpdir(), 'tdx-assess-')));
  const url = (code: string) => federation.running.get(code)!.url;
  const provinceDb = () => federation.databases.get('330000')!;
  const made: Made[] = [];
  const states = {
    quality: {
      '330100': { score: 82.5, dimensions: { timeliness: 70 } },
      '330106': { score: 90, dimensions: { timeliness: null } },
    } as Record<string, unknown>,
    access: {
      '330100': { decisions: { answered: 18, overdue: 2, medianHoursToDecide: 5 }, refused: 1, securityEvents: 3 },
      // Of last year: no evidence for this year's figures.
      '330106': { decisions: { answered: 5, overdue: 0, medianHoursToDecide: 1 }, refused: 0, securityEvents: 0 },
      // Not the agreed shape: no evidence, never a failure.
      '330200': { decisions: 'many', securityEvents: -1 },
    } as Record<string, unknown>,
  };
  const computedAt: Record<string, string> = {};
  const weights: AssessmentWeights = { catalogCompleteness: 30, quality: 20, timeliness: 10, sharingResponse: 15, openness: 15, securityEvents: 10 };

  beforeAll(async () => {
    await federation.start('330000', undefined, {});
    await federation.start('330100', '330000', {});
    await federation.start('330106', '330100', {});
    await awaitTrustLists(CODES.map(url), CODES);
    // The province's own entries, registered through its API: one complete, one without a release date.
    const inst = (await apiOk(url('330000'), 'POST', '/api/v1/institutions', sampleInstitution())).body.id;
    for (const [name, extra] of [
      ['Complete register', { releaseDate: '2024-01-01' }],
      ['Undated register', {}],
    ] as const) {
      const body = (await apiOk(url('330000'), 'POST', '/api/v1/catalog/entries', sampleEntry(inst, { name, ...extra }))).body;
      made.push({
        id: body.id,
        origin: '330000',
        type: 'data',
        status: 'active',
        grade: body.grade,
        openType: body.openType,
        format: body.format,
        releaseDate: body.releaseDate,
        createdAt: body.createdAt,
      });
    }
    // Hangzhou: 10 data entries, 3 incomplete, 2 L4; of the 8 that may open, 3 prohibited.
    const city = Array.from({ length: 10 }, (_, i) =>
      entry('330100', i, {
        format: i < 2 ? null : 'csv',
        releaseDate: i === 2 ? null : '2021-05-01',
        grade: i >= 8 ? 'L4' : i % 2 ? 'L2' : 'L1',
        openType: i >= 8 || i < 3 ? 'prohibited' : i % 2 ? 'restricted' : 'unconditional',
      }),
    );
    // Xihu: 4 counted entries, and three that are not counted (retired, an application, registered next year).
    const county = [
      ...Array.from({ length: 4 }, (_, i) => entry('330106', i)),
      entry('330106', 5, { status: 'retired', format: null }),
      entry('330106', 6, { type: 'application', format: null }),
      entry('330106', 7, { createdAt: `${YEAR + 1}-01-01T00:00:00.000Z`, format: null }),
    ];
    made.push(...city, ...county);
    await insertReplicas(provinceDb(), [...city, ...county]);
    const now = new Date().toISOString();
    for (const [origin, data] of Object.entries(states.quality)) {
      computedAt[`quality/${origin}`] = now;
      await insertState(provinceDb(), 'quality', origin, data, now);
    }
    for (const [origin, data] of Object.entries(states.access)) {
      const at = origin === '330106' ? `${YEAR - 1}-12-31T12:00:00.000Z` : now;
      computedAt[`access/${origin}`] = at;
      await insertState(provinceDb(), 'access', origin, data, at);
    }
  });

  afterAll(async () => {
    for (const code of [...CODES].reverse()) await federation.running.get(code)?.stop();
    for (const db of federation.databases.values()) await db.drop();
  });

  /** The test's own figures of a division, by the formulas of docs/assessment.md. */
  function expected(origin: string): Record<AssessmentIndicator, number | null> {
    const mine = made.filter((e) => e.origin === origin && counted(e));
    const share = (of: Made[], p: (e: Made) => boolean) => (of.length === 0 ? null : (100 * of.filter(p).length) / of.length);
    const q = computedAt[`quality/${origin}`]?.startsWith(String(YEAR))
      ? (states.quality[origin] as { score: number; dimensions: { timeliness: number | null } })
      : undefined;
    const a = computedAt[`access/${origin}`]?.startsWith(String(YEAR)) ? (states.access[origin] as { decisions: unknown; securityEvents: unknown }) : undefined;
    const decisions = a?.decisions as { answered?: unknown; overdue?: unknown } | undefined;
    const answered = typeof decisions?.answered === 'number' ? decisions.answered : undefined;
    const overdue = typeof decisions?.overdue === 'number' ? decisions.overdue : undefined;
    const events = typeof a?.securityEvents === 'number' && a.securityEvents >= 0 ? a.securityEvents : undefined;
    return {
      catalogCompleteness: share(mine, complete),
      quality: q ? q.score : null,
      timeliness: q?.dimensions.timeliness ?? null,
      sharingResponse: answered !== undefined && overdue !== undefined && answered + overdue > 0 ? (100 * answered) / (answered + overdue) : null,
      openness: share(mine.filter(openable), opened),
      securityEvents: events === undefined ? null : Math.max(0, 100 - 10 * events),
    };
  }

  function checkFigures(card: DivisionScorecard, w: AssessmentWeights): void {
    const want = expected(card.division);
    const sum = ASSESSMENT_INDICATORS.reduce((s, i) => s + w[i], 0);
    for (const i of ASSESSMENT_INDICATORS) {
      const got = card.indicators.find((x) => x.indicator === i)!;
      if (want[i] === null) expect({ division: card.division, i, value: got.value }).toEqual({ division: card.division, i, value: null });
      else expect(got.value).toBeCloseTo(want[i] as number, 2);
      expect(got.weight).toBe(w[i]);
    }
    const evidenced = ASSESSMENT_INDICATORS.filter((i) => want[i] !== null);
    expect(card.evidenced).toBe(evidenced.length);
    if (evidenced.length === 0) expect(card.total).toBeNull();
    else
      expect(card.total).toBeCloseTo(
        ASSESSMENT_INDICATORS.reduce((t, i) => t + (want[i] ?? 0) * (w[i] / sum), 0),
        2,
      );
  }

  it('lists every division of the province, each figure equal to an independent computation, with the equal default weights', async () => {
    const { body } = await apiOk(url('330000'), 'GET', `/api/v1/supervision/assessment?year=${YEAR}`);
    expect(body.weights.version).toBe(0);
    const all = [...ZHEJIANG_DIVISIONS.values()].filter((d) => d.code.startsWith('33')).map((d) => d.code);
    expect(body.divisions.map((d: DivisionScorecard) => d.division)).toEqual([...all].sort());
    expect(body.divisions).toHaveLength(102);
    for (const card of body.divisions as DivisionScorecard[]) checkFigures(card, body.weights.weights);
    // The set-up gives Hangzhou every figure, Xihu three (its access state is of last year, its timeliness null), the province two.
    const evidenced = Object.fromEntries((body.divisions as DivisionScorecard[]).map((d) => [d.division, d.evidenced]));
    expect({ 330000: evidenced['330000'], 330100: evidenced['330100'], 330106: evidenced['330106'], 330200: evidenced['330200'] }).toEqual({
      330000: 2,
      330100: 6,
      330106: 3,
      330200: 0,
    });
    // A division without any figure shows as having no evidence.
    const ningboCounty = (body.divisions as DivisionScorecard[]).find((d) => d.division === '330203')!;
    expect(ningboCounty).toMatchObject({ total: null, evidenced: 0 });
  });

  it('every figure names its evidence, and the evidence points at records that exist', async () => {
    for (const division of ['330000', '330100', '330106', '330200']) {
      const { body: card } = await apiOk<DivisionScorecard>(url('330000'), 'GET', `/api/v1/supervision/assessment/${division}?year=${YEAR}`);
      checkFigures(card, (await apiOk(url('330000'), 'GET', '/api/v1/supervision/assessment/weights')).body.weights);
      for (const indicator of card.indicators) {
        if (indicator.value !== null) expect(indicator.evidence.length).toBeGreaterThan(0);
        for (const ev of indicator.evidence) {
          if (ev.kind === 'state') {
            const rows = await provinceDb().query<{ version: string }>(`SELECT version FROM supervision_state WHERE topic = $1 AND origin = $2 AND key = $3`, [
              ev.topic,
              ev.origin,
              ev.key,
            ]);
            expect(rows.map((r) => Number(r.version))).toEqual([ev.version]);
            expect(ev.origin).toBe(division);
          } else {
            const mine = made.filter((e) => e.origin === division && counted(e));
            const of = indicator.indicator === 'openness' ? mine.filter(openable) : mine;
            const matches = indicator.indicator === 'openness' ? opened : complete;
            expect({ counted: ev.counted, matching: ev.matching }).toEqual({ counted: of.length, matching: of.filter(matches).length });
            // The sample names the counted entries that lower the figure: they exist, and do not match.
            const lowering = of.filter((e) => !matches(e)).map((e) => e.id);
            expect([...(ev.sample ?? [])].sort()).toEqual([...lowering].sort().slice(0, 20));
            for (const id of ev.sample ?? []) {
              expect(await provinceDb().query(`SELECT 1 FROM catalog_entry WHERE id = $1 AND origin = $2`, [id, division])).toHaveLength(1);
            }
          }
        }
      }
    }
  });

  it('explains what is missing: a state of another year, a state without the figure', async () => {
    const { body: county } = await apiOk<DivisionScorecard>(url('330000'), 'GET', `/api/v1/supervision/assessment/330106?year=${YEAR}`);
    expect(county.indicators.find((i) => i.indicator === 'sharingResponse')!.note).toMatch(new RegExp(`computed in ${YEAR - 1}, not in ${YEAR}`));
    expect(county.indicators.find((i) => i.indicator === 'timeliness')).toMatchObject({
      value: null,
      note: expect.stringMatching(/no usable dimensions.timeliness/),
    });
    const { body: ningbo } = await apiOk<DivisionScorecard>(url('330000'), 'GET', `/api/v1/supervision/assessment/330200?year=${YEAR}`);
    expect(ningbo.indicators.find((i) => i.indicator === 'securityEvents')).toMatchObject({
      value: null,
      note: expect.stringMatching(/no usable securityEvents/),
    });
    expect(ningbo.indicators.find((i) => i.indicator === 'quality')).toMatchObject({ value: null, note: 'no quality state (key node) of this division' });
  });

  it('refuses weight sets that do not parse, naming the field and the rule, and stores nothing', async () => {
    const province = url('330000');
    const bad: [unknown, number, RegExp][] = [
      [{ weights: { ...weights, popularity: 5 } }, 400, /weights\.popularity/],
      [{ weights: { ...weights, quality: -20, catalogCompleteness: 70 } }, 400, /quality must not be less than 0/],
      [{ weights: { ...weights, openness: 'high' } }, 400, /openness must be a number/],
      [{ weights: { catalogCompleteness: 50, quality: 50 } }, 400, /timeliness/],
      [{ weights: { ...weights, securityEvents: 11 } }, 422, /weights must sum to 1 or to 100/],
      [{ weights: { ...weights, catalogCompleteness: 0.3 } }, 422, /sum to 1 or to 100/],
      [{ weights: ASSESSMENT_INDICATORS.map(() => 0) }, 400, /weights/],
      [{}, 400, /weights/],
    ];
    for (const [body, status, pattern] of bad) {
      const answer = await api(province, 'PUT', '/api/v1/supervision/assessment/weights', body);
      expect({ status: answer.status, text: JSON.stringify(answer.body) }).toEqual({ status, text: expect.stringMatching(pattern) });
      if (status === 422) expect(answer.body).toMatchObject({ rule: 'weights-sum', article: 'Article 5' });
    }
    expect((await provinceDb().query(`SELECT count(*)::int AS n FROM assessment_weight_set`))[0]).toEqual({ n: 0 });
    // A county computes no one's scorecard: it sets no weights.
    const atCounty = await api(url('330106'), 'PUT', '/api/v1/supervision/assessment/weights', { weights });
    expect(atCounty).toMatchObject({ status: 422, body: { rule: 'weights-set-above-county' } });
    expect((await federation.databases.get('330106')!.query(`SELECT count(*)::int AS n FROM assessment_weight_set`))[0]).toEqual({ n: 0 });
    // The supervisor reads figures but sets no weights.
    const supervisor = (await accountWith(province, 'assess.supervisor', [{ role: 'supervisor' }])).token;
    expect((await apiWith(supervisor, province, 'PUT', '/api/v1/supervision/assessment/weights', { weights })).status).toBe(403);
  });

  it('a weight set in force is versioned and weighs every total', async () => {
    const province = url('330000');
    const set = await apiOk(province, 'PUT', '/api/v1/supervision/assessment/weights', { weights });
    expect(set.body).toMatchObject({ version: 1, weights, setBy: expect.any(String) });
    const fractions = Object.fromEntries(ASSESSMENT_INDICATORS.map((i) => [i, weights[i] / 100])) as AssessmentWeights;
    expect((await apiOk(province, 'PUT', '/api/v1/supervision/assessment/weights', { weights: fractions })).body.version).toBe(2);
    const { body } = await apiOk(province, 'GET', `/api/v1/supervision/assessment?year=${YEAR}`);
    expect(body.weights).toMatchObject({ version: 2, weights: fractions });
    for (const card of body.divisions as DivisionScorecard[]) checkFigures(card, fractions);
    // A city's scorecard covers its own subtree only; a division outside this node's is refused.
    const { body: city } = await apiOk(province, 'GET', `/api/v1/supervision/assessment?year=${YEAR}&within=330100`);
    expect(city.divisions.map((d: DivisionScorecard) => d.division)).toEqual(
      [...ZHEJIANG_DIVISIONS.values()]
        .filter((d) => d.code.startsWith('3301'))
        .map((d) => d.code)
        .sort(),
    );
    expect(await api(url('330100'), 'GET', `/api/v1/supervision/assessment?year=${YEAR}&within=330200`)).toMatchObject({
      status: 422,
      body: { rule: 'supervision-within-jurisdiction', article: 'Article 7' },
    });
    expect((await api(province, 'GET', `/api/v1/supervision/assessment?year=20x6`)).status).toBe(400);
    expect((await api(province, 'GET', `/api/v1/supervision/assessment/33010?year=${YEAR}`)).status).toBe(400);
  });

  it('exports the same figures as CSV and as a printable, self-contained HTML page', async () => {
    const province = url('330000');
    const { body } = await apiOk(province, 'GET', `/api/v1/supervision/assessment?year=${YEAR}`);
    const headers = { authorization: `Bearer ${await accessToken(province)}` };
    const csv = await fetch(`${province}/api/v1/supervision/assessment/export.csv?year=${YEAR}`, { headers });
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    const lines = (await csv.text()).trimEnd().split('\r\n');
    expect(lines[0]).toBe(['division', 'name', 'level', 'year', 'total', 'evidenced', ...ASSESSMENT_INDICATORS, 'weightsVersion'].join(','));
    expect(lines).toHaveLength(1 + body.divisions.length);
    const hangzhou = lines.find((l) => l.startsWith('330100,'))!.split(',');
    const card = (body.divisions as DivisionScorecard[]).find((d) => d.division === '330100')!;
    expect(hangzhou.slice(4, 12)).toEqual([card.total, card.evidenced, ...card.indicators.map((i) => i.value)].map((v) => (v === null ? '' : String(v))));

    const html = await fetch(`${province}/api/v1/supervision/assessment/report.html?year=${YEAR}`, { headers });
    expect(html.status).toBe(200);
    const csp = html.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/=]+'; frame-ancestors 'none'$/);
    const page = await html.text();
    expect(page).toContain('目录完整性 Catalog completeness');
    expect(page).not.toMatch(/<script|src=|href=/);
    // The page's one style sheet is the one the policy names.
    const style = /<style>([\s\S]*?)<\/style>/.exec(page)![1];
    expect(csp).toContain(`'sha256-${createHash('sha256').update(style).digest('base64')}'`);
  });
});
