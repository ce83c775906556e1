// `tdx projects` against a real node (the built service on the real PostgreSQL and NATS): a
// declaration from a file, its review at approval, the list; each effect read back through the API.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { api, createTestDatabase, deleteNamespaceStreams, NodeProcess, SHARED_NATS_URL, type TestDatabase, testNamespace } from '@tdx/testing';
import { startNode, tdx, tdxLogin } from './support/tdx';

const namespace = testNamespace();
const dir = mkdtempSync(join(tmpdir(), 'tdx-cli-projects-'));
let db: TestDatabase;
let node: NodeProcess;
let institution: string;
let appCode: string;

beforeAll(async () => {
  db = await createTestDatabase('cli_projects');
  node = await startNode({ code: '330000', databaseUrl: db.url, natsNamespace: namespace });
  await tdxLogin(node.url);
  institution = (await api(node.url, 'POST', '/api/v1/institutions', { name: '浙江省大数据发展管理局', kind: 'government' })).body.id;
  const app = await api(node.url, 'POST', '/api/v1/catalog/entries', {
    type: 'application',
    name: '浙政钉',
    summary: '协同办公应用',
    providerId: institution,
    category: 'government-affairs',
    grade: 'L1',
    shareType: 'unconditional',
    openType: 'prohibited',
    updateCycle: 'daily',
  });
  expect(app.status).toBe(201);
  appCode = app.body.code;
});

afterAll(async () => {
  await node?.stop();
  await db?.drop();
  await deleteNamespaceStreams(SHARED_NATS_URL, namespace);
});

describe('tdx projects', () => {
  it('declare --file, review --stage approval, list', async () => {
    const file = join(dir, 'project.json');
    writeFileSync(
      file,
      JSON.stringify({
        name: '协同办公升级',
        institutionId: institution,
        funds: { amountYuan: 800000, source: '省级财政资金' },
        systems: [{ name: '浙政钉', outsidePlatform: false, consentRef: null, catalogEntry: appCode }],
        networks: [],
        dataItems: [{ name: '会议纪要编号', type: 'string', sensitive: false }],
        dataGrade: 'L1',
        resources: [{ ref: appCode, type: 'application', use: 'use' }],
        security: {
          cryptoAssessmentRef: '浙密评〔2026〕0040号',
          cryptoAssessmentResult: 'basic-pass',
          protectionLevel: 2,
          filingNumber: '33000043002-26009',
          managementPlanRef: '浙数安〔2026〕2号',
        },
      }),
    );
    const declared = await tdx(['projects', 'declare', '--file', file, '--node', node.url, '--json']);
    expect(declared.code).toBe(0);
    const id = JSON.parse(declared.stdout).id as string;
    expect((await api(node.url, 'GET', `/api/v1/projects/${id}`)).body).toMatchObject({ name: '协同办公升级', status: 'declared' });

    const early = await tdx(['projects', 'review', id, '--stage', 'operations', '--node', node.url]);
    expect(early.code).not.toBe(0);
    expect(early.stderr).toContain('project-stage-order');

    const reviewed = await tdx(['projects', 'review', id, '--stage', 'approval', '--node', node.url]);
    expect(reviewed.code).toBe(0);
    expect(reviewed.stdout).toContain('approval: approve');
    expect(reviewed.stdout).toContain('(e) pass');
    expect((await api(node.url, 'GET', `/api/v1/projects/${id}`)).body).toMatchObject({
      status: 'approved',
      reviews: [{ stage: 'approval', decision: 'approve' }],
    });

    const listed = await tdx(['projects', 'list', '--node', node.url]);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain('协同办公升级');
    expect(listed.stdout).toContain('approved');

    writeFileSync(file, JSON.stringify({ name: 'x' }));
    const bad = await tdx(['projects', 'declare', '--file', file, '--node', node.url]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('security');
  });
});
