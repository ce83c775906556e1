import { api, createTestDatabase, eventually, NodeProcess, TestDatabase, testNamespace, TestNatsServer } from '@tdx/testing';
import { RunningNode, startInProcessNode } from './support/nodes';
import { sampleInstitution } from './support/samples';
import { maskRowsAtRest, waitForJob } from './support/returns';
import { awaitTrustLists } from './support/replication';

const ROWS = 60_000;

/**
 * A return of 60,000 rows (plus rows of other counties) from the province to Xihu 330106, on a
 * nats-server of the test's own; the holder and the receiver run as separate processes of the
 * built node. Mid-transfer: the receiver is SIGKILLed, the holder is SIGKILLed, the NATS server
 * is SIGKILLed and restarted. Each fault must strike an unfinished transfer, and each transfer must
 * end with exactly the expected rows, none twice.
 */
describe('return transfers under faults', () => {
  const namespace = testNamespace();
  const databases = {} as Record<'province' | 'city' | 'county', TestDatabase>;
  let nats: TestNatsServer;
  let province: NodeProcess;
  let city: RunningNode;
  let county: NodeProcess;
  let entryId: string;

  beforeAll(async () => {
    nats = await TestNatsServer.start();
    databases.province = await createTestDatabase('retf_330000');
    databases.city = await createTestDatabase('retf_330100');
    databases.county = await createTestDatabase('retf_330106');
    province = await NodeProcess.start({ code: '330000', databaseUrl: databases.province.url, natsUrl: nats.url, natsNamespace: namespace });
    city = await startInProcessNode({ code: '330100', parentCode: '330000', databaseUrl: databases.city.url, natsUrl: nats.url, natsNamespace: namespace });
    county = await NodeProcess.start({ code: '330106', parentCode: '330100', databaseUrl: databases.county.url, natsUrl: nats.url, natsNamespace: namespace });
    const institution = await api(province.url, 'POST', '/api/v1/institutions', sampleInstitution('Provincial Market Regulator'));
    const entry = await api(province.url, 'POST', '/api/v1/catalog/entries', {
      type: 'data',
      name: 'Enterprise register',
      summary: 'Enterprises of the province',
      providerId: institution.body.id,
      category: 'market-regulation',
      grade: 'L3',
      shareType: 'unconditional',
      openType: 'restricted',
      updateCycle: 'irregular',
      dataItems: [
        { name: 'uscc', type: 'string', sensitive: false },
        { name: 'company', type: 'string', sensitive: false },
        { name: 'id_card', type: 'string', sensitive: true },
        { name: 'capital', type: 'integer', sensitive: false },
      ],
    });
    entryId = entry.body.id;
    // Xihu's rows interleaved with rows of Binjiang and Ningbo, so the jurisdiction filter is exercised on every chunk.
    await databases.province.query(
      `INSERT INTO dataset_row (entry_id, row_key, region_code, data, deleted, change_seq)
       SELECT $1, 'k' || lpad(i::text, 7, '0'), (ARRAY['330106', '330106', '330106', '330108', '330212'])[1 + i % 5],
         jsonb_build_object('uscc', '91330106MA' || lpad(i::text, 8, '0'), 'company', 'Company ' || i,
           'id_card', '330106199001' || lpad(i::text, 6, '0'), 'capital', i),
         false, nextval('dataset_change_seq')
       FROM generate_series(1, $2) AS i`,
      [entryId, Math.round((ROWS * 5) / 3)],
    );
    // Each row with its masked copy at rest, as an upload writes it and a return serves it.
    await maskRowsAtRest(databases.province, entryId);
    await eventually(async () => {
      const known = await databases.province.query<{ code: string }>(`SELECT code FROM known_node WHERE code = '330106'`);
      expect(known).toHaveLength(1);
    }, 30_000);
    await awaitTrustLists([province.url, city.url, county.url], ['330000', '330100', '330106']);
  });

  afterAll(async () => {
    await county?.stop();
    await city?.stop();
    await province?.stop();
    await nats?.stop();
    await Promise.all(Object.values(databases).map((d) => d.drop()));
  });

  /** Starts a new full return to the county and waits until it is under way. */
  async function startTransfer(): Promise<string> {
    const created = await api(county.url, 'POST', '/api/v1/returns/requests', { entryId, holder: '330000', purpose: 'fault test' });
    expect(created.body).toMatchObject({ state: 'granted' });
    await eventually(
      async () => {
        const [job] = await databases.county.query<{ rows_done: string }>(`SELECT rows_done FROM return_job WHERE request_id = $1`, [created.body.id]);
        expect(Number(job?.rows_done ?? 0)).toBeGreaterThan(5000);
      },
      30_000,
      20,
    );
    return created.body.id;
  }

  /** The county's job, as its database holds it. */
  async function countyJob(requestId: string): Promise<{ state: string; rowsDone: number; lastError: string | null }> {
    const [job] = await databases.county.query<{ state: string; rows_done: string; last_error: string | null }>(
      `SELECT state, rows_done, last_error FROM return_job WHERE request_id = $1`,
      [requestId],
    );
    return { state: job.state, rowsDone: Number(job.rows_done), lastError: job.last_error };
  }

  /**
   * The fault struck mid-transfer: the county's job is unfinished, and (once an attempt has met the
   * fault) records a failed attempt, still short of the last row. Waiting for that failure, rather
   * than a fixed time, is what shows the receiver felt the fault before it is repaired.
   */
  async function expectInterrupted(requestId: string): Promise<void> {
    const struck = await countyJob(requestId);
    expect(struck.state).toBe('running');
    expect(struck.rowsDone).toBeLessThan(ROWS);
    const felt = await eventually(
      async () => {
        const job = await countyJob(requestId);
        expect(job.lastError).not.toBeNull();
        return job;
      },
      60_000,
      50,
    );
    expect(felt.state).toBe('running');
    expect(felt.rowsDone).toBeLessThan(ROWS);
  }

  /** Exactly the source rows of Xihu (keys and versions), each once, and the job counted each row once. */
  async function expectExactRows(requestId: string): Promise<void> {
    const jobs = await waitForJob(county.url, requestId, 1, 90_000);
    expect(jobs[0]).toMatchObject({ kind: 'full', state: 'done', rowsDone: ROWS, rowsTotal: ROWS });
    const [held] = await databases.county.query<{ n: number; keys: number; digest: string }>(
      `SELECT count(*)::int AS n, count(DISTINCT row_key)::int AS keys,
              md5(string_agg(row_key || ':' || source_seq, ',' ORDER BY row_key)) AS digest
       FROM returned_row WHERE request_id = $1`,
      [requestId],
    );
    const [source] = await databases.province.query<{ n: number; digest: string }>(
      `SELECT count(*)::int AS n, md5(string_agg(row_key || ':' || change_seq, ',' ORDER BY row_key)) AS digest
       FROM dataset_row WHERE entry_id = $1 AND region_code LIKE '330106%' AND NOT deleted`,
      [entryId],
    );
    expect(held).toEqual({ n: ROWS, keys: ROWS, digest: source.digest });
    const outside = await databases.county.query(`SELECT 1 FROM returned_row WHERE region_code <> '330106' LIMIT 1`);
    expect(outside).toEqual([]);
  }

  it('resumes after the receiver is killed mid-transfer', async () => {
    const id = await startTransfer();
    await county.kill();
    const [job] = await databases.county.query<{ rows_done: string; state: string }>(`SELECT rows_done, state FROM return_job WHERE request_id = $1`, [id]);
    expect(job.state).toBe('running');
    expect(Number(job.rows_done)).toBeLessThan(ROWS);
    await county.restart();
    await expectExactRows(id);
  });

  it('resumes after the holder is killed mid-transfer', async () => {
    const id = await startTransfer();
    await province.kill();
    await expectInterrupted(id);
    await province.restart();
    await expectExactRows(id);
  });

  it('resumes after the NATS server is killed and restarted mid-transfer', async () => {
    const id = await startTransfer();
    await nats.kill();
    await expectInterrupted(id);
    await nats.restart();
    await expectExactRows(id);
  });
});
