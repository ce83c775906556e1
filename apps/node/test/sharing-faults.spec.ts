import { api, createTestDatabase, deleteNamespaceStreams, eventually, NodeProcess, SHARED_NATS_URL, TestDatabase, testNamespace } from '@tdx/testing';
import { RunningNode, startInProcessNode } from './support/nodes';
import { sampleEntry, sampleInstitution } from './support/samples';
import { awaitTrustLists } from './support/replication';

const YEAR_AHEAD = new Date(Date.now() + 365 * 86_400_000).toISOString();

/**
 * The provider's node (Yinzhou 330212, a real process from dist/main.js) is SIGKILLed while a
 * share request and a decision are in flight. After it restarts, both ends agree on every request's
 * state and history: nothing lost, nothing applied twice. Build first (npx tsc -b apps/node/tsconfig.app.json).
 */
describe('sharing survives the provider being killed', () => {
  const namespace = testNamespace();
  const databases: Record<string, TestDatabase> = {};
  const inProcess: RunningNode[] = [];
  let provider: NodeProcess;
  let consumer: RunningNode;
  const entries: Record<'conditional' | 'unconditional', string> = { conditional: '', unconditional: '' };

  beforeAll(async () => {
    for (const code of ['330000', '330100', '330200', '330212']) databases[code] = await createTestDatabase(`sharek_${code}`);
    const spec = (code: string, parentCode?: string) => ({
      code,
      parentCode,
      databaseUrl: databases[code].url,
      natsUrl: SHARED_NATS_URL,
      natsNamespace: namespace,
    });
    inProcess.push(await startInProcessNode(spec('330000')));
    consumer = await startInProcessNode(spec('330100', '330000'));
    inProcess.push(consumer, await startInProcessNode(spec('330200', '330000')));
    provider = await NodeProcess.start(spec('330212', '330200'));
    await provider.waitJoined();
    const institution = await api(provider.url, 'POST', '/api/v1/institutions', sampleInstitution('Yinzhou Transport Bureau'));
    for (const shareType of ['conditional', 'unconditional'] as const) {
      const created = await api(
        provider.url,
        'POST',
        '/api/v1/catalog/entries',
        sampleEntry(institution.body.id, {
          name: `Routes ${shareType}`,
          shareType,
          ...(shareType === 'conditional' ? { shareCondition: 'for planning' } : {}),
        }),
      );
      expect(created.status).toBe(201);
      entries[shareType] = created.body.id;
    }
    await awaitTrustLists([...inProcess.map((n) => n.url), provider.url], ['330000', '330100', '330200', '330212']);
    await eventually(async () => {
      const held = await databases['330000'].query<{ n: string }>('SELECT count(*) AS n FROM catalog_entry WHERE origin = $1', ['330212']);
      expect(Number(held[0].n)).toBe(2);
    }, 30_000);
  }, 180_000);

  afterAll(async () => {
    await provider?.stop();
    await Promise.all(inProcess.map((n) => n.stop()));
    await deleteNamespaceStreams(SHARED_NATS_URL, namespace);
    await Promise.all(Object.values(databases).map((d) => d.drop()));
  });

  const request = (entryId: string) =>
    api(consumer.url, 'POST', '/api/v1/shares', { entryId, items: ['uscc'], regions: ['330212'], purpose: 'route planning', expiresAt: YEAR_AHEAD });
  const rowsOf = async (code: string, id: string) =>
    databases[code].query<{ side: string; state: string; history: { state: string; at: string; actor: string }[] }>(
      'SELECT side, state, history FROM share_request WHERE id = $1',
      [id],
    );
  const stateEvents = async (code: string, id: string) =>
    (await databases[code].query<{ outcome: string }>(`SELECT outcome FROM audit_record WHERE target = $1 AND action = 'share.state' ORDER BY seq`, [id])).map(
      (r) => r.outcome,
    );

  /** Both ends hold the request in `state`, with the same history. */
  async function agree(id: string, state: string): Promise<void> {
    await eventually(
      async () => {
        const [atConsumer] = await rowsOf('330100', id);
        const [atProvider] = await rowsOf('330212', id);
        expect(atProvider?.state).toBe(state);
        expect(atConsumer?.state).toBe(state);
        expect(atConsumer.history).toEqual(atProvider.history);
      },
      60_000,
      200,
    );
  }

  it('requests made while the provider is down are delivered once it is back, and a decision made just before a SIGKILL reaches the consumer once', async () => {
    await provider.kill('SIGKILL');
    // Made while the provider is down: stored at the consumer, waiting in its outbox.
    const conditional = await request(entries.conditional);
    const unconditional = await request(entries.unconditional);
    expect([conditional.status, unconditional.status]).toEqual([201, 201]);
    expect((await api(consumer.url, 'GET', `/api/v1/shares/${conditional.body.id}`)).body.state).toBe('requested');

    await provider.restart();
    await agree(unconditional.body.id, 'granted');
    await agree(conditional.body.id, 'requested');

    // Decided, and killed at once: the decision is in the provider's outbox, perhaps on the wire.
    const approved = await api(provider.url, 'POST', `/api/v1/shares/${conditional.body.id}/approve`, { reason: 'planning approved' });
    expect(approved.status).toBe(200);
    await provider.kill('SIGKILL');
    await provider.restart();
    await agree(conditional.body.id, 'granted');

    // Exactly once at each end: one row per side, each event once, each state change recorded once.
    for (const id of [conditional.body.id, unconditional.body.id]) {
      expect(await rowsOf('330100', id)).toHaveLength(1);
      expect(await rowsOf('330212', id)).toHaveLength(1);
    }
    const [granted] = await rowsOf('330100', conditional.body.id);
    expect(granted.history.map((h) => h.state)).toEqual(['requested', 'approved', 'granted']);
    await eventually(async () => {
      expect(await stateEvents('330100', conditional.body.id)).toEqual(['requested', 'granted']);
      expect(await stateEvents('330212', conditional.body.id)).toEqual(['requested', 'granted']);
      expect(await stateEvents('330100', unconditional.body.id)).toEqual(['requested', 'granted']);
    });
    // The grant serves once both agree.
    const rows = await api(consumer.url, 'POST', `/api/v1/shares/${conditional.body.id}/query`, { fields: ['uscc'] });
    expect(rows.status).toBe(200);
  }, 240_000);
});
