import { api, createTestDatabase, deleteNamespaceStreams, SHARED_NATS_URL, TestDatabase, testNamespace } from '@tdx/testing';
import { RunningNode, startInProcessNode } from './support/nodes';
import { sampleEntry, sampleInstitution } from './support/samples';

describe('a single province node', () => {
  let db: TestDatabase;
  let node: RunningNode;
  const namespace = testNamespace();

  beforeAll(async () => {
    db = await createTestDatabase('smoke');
    node = await startInProcessNode({ code: '330000', databaseUrl: db.url, natsUrl: SHARED_NATS_URL, natsNamespace: namespace });
  });
  afterAll(async () => {
    await node?.stop();
    await db?.drop();
    await deleteNamespaceStreams(SHARED_NATS_URL, namespace);
  });

  it('registers an institution and an entry and lists it', async () => {
    const institution = await api(node.url, 'POST', '/api/v1/institutions', sampleInstitution());
    expect(institution.status).toBe(201);
    const entry = await api(node.url, 'POST', '/api/v1/catalog/entries', sampleEntry(institution.body.id));
    expect(entry.status).toBe(201);
    expect(entry.body).toMatchObject({ origin: '330000', version: 1, status: 'active', code: '330000-D-000001' });
    const listed = await api(node.url, 'GET', '/api/v1/catalog/entries?scope=local');
    expect(listed.body.items.map((e: { id: string }) => e.id)).toEqual([entry.body.id]);
    expect((await api(node.url, 'GET', '/health')).body).toEqual({ status: 'ok', checks: { database: 'up', nats: 'up' } });
  });
});
