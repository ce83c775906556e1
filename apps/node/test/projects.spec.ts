import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { publicKeyFromBase64url, verifyEnvelope, type ProjectReviewView, type ProjectStateView, type ProjectView } from '@tdx/contracts';
import { api, apiWith, deleteNamespaceStreams, eventually, SHARED_NATS_URL, testNamespace } from '@tdx/testing';
import { inProcessFederation } from './support/nodes';
import { awaitTrustLists } from './support/replication';
import { sampleEntry, sampleInstitution } from './support/samples';
import { accountWith } from './support/auth';

/**
 * Digital project review (Article 12) across three tiers: the county (330106) registers data
 * entries, which replicate to the city (330100); the city's institution declares projects there and
 * the city's operator reviews them; the province (330000) sees each review as the city signed it.
 */
describe('digital project review (Article 12)', () => {
  const namespace = testNamespace();
  const federation = inProcessFederation(namespace, 'projects', mkdtempSync(join(tmpdir(), 'tdx-projects-')));
  const url = (code: string) => federation.running.get(code)!.url;
  const ids: Record<string, string> = {};
  const codes: Record<string, string> = {};
  let cityInstitution: string;

  async function register(code: string, institution: string, key: string, overrides: Record<string, unknown>): Promise<void> {
    const response = await api(url(code), 'POST', '/api/v1/catalog/entries', sampleEntry(institution, overrides));
    expect(response.status).toBe(201);
    ids[key] = response.body.id;
    codes[key] = response.body.code;
  }

  /** A declaration every clause passes, given the entries registered in beforeAll; `over` replaces parts of it. */
  function declaration(over: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      name: '城市巡查二期',
      institutionId: cityInstitution,
      funds: { amountYuan: 1_200_000, source: '省级财政资金' },
      systems: [{ name: '城市巡查系统', outsidePlatform: false, consentRef: null, catalogEntry: codes.app }],
      networks: [{ name: '巡查物联专网', kind: 'private-network', consentRef: '杭数资〔2026〕12号' }],
      dataItems: [
        { name: '巡查点位编号', type: 'string', sensitive: false },
        { name: '巡查开始时间', type: 'datetime', sensitive: false },
      ],
      dataGrade: 'L2',
      resources: [
        { ref: codes.app, type: 'application', use: 'produce' },
        { ref: ids.component, type: 'component', use: 'use' },
      ],
      security: {
        cryptoAssessmentRef: '浙密评〔2026〕0031号',
        cryptoAssessmentResult: 'pass',
        protectionLevel: 3,
        filingNumber: '33010043002-26001',
        managementPlanRef: '杭数安〔2026〕7号',
      },
      ...over,
    };
  }

  async function declare(body: Record<string, unknown>): Promise<ProjectView> {
    const response = await api<ProjectView>(url('330100'), 'POST', '/api/v1/projects', body);
    expect(response.status).toBe(201);
    return response.body;
  }

  const review = (id: string, stage: string) => api<ProjectReviewView>(url('330100'), 'POST', `/api/v1/projects/${id}/reviews`, { stage });
  const clause = (r: ProjectReviewView, c: string) => r.clauses.find((x) => x.clause === c)!;

  beforeAll(async () => {
    await federation.start('330000', undefined, {});
    await federation.start('330100', '330000', {});
    await federation.start('330106', '330100', {});
    await awaitTrustLists(['330000', '330100', '330106'].map(url), ['330000', '330100', '330106']);
    const countyInstitution = (await api(url('330106'), 'POST', '/api/v1/institutions', sampleInstitution('西湖区公安分局'))).body.id;
    cityInstitution = (await api(url('330100'), 'POST', '/api/v1/institutions', sampleInstitution('杭州市城市管理局'))).body.id;
    await register('330106', countyInstitution, 'population', {
      name: '人口基础信息',
      dataItems: [
        { name: '公民身份号码', type: 'string', sensitive: true },
        { name: '姓名', type: 'string', sensitive: true },
        { name: '出生日期', type: 'date', sensitive: false },
      ],
    });
    await register('330106', countyInstitution, 'companies', {
      name: '辖区企业名录',
      dataItems: [
        { name: '统一社会信用代码', type: 'string', sensitive: false },
        { name: '企业名称', type: 'string', sensitive: false },
      ],
    });
    await register('330106', countyInstitution, 'component', { type: 'component', name: '电子证照核验组件', openType: 'prohibited', dataItems: [] });
    await register('330100', cityInstitution, 'app', { type: 'application', name: '城市巡查系统', openType: 'prohibited', dataItems: [] });
    // The county's entries reach the city by upward replication.
    for (const key of ['population', 'companies', 'component']) {
      await eventually(async () => expect((await api(url('330100'), 'GET', `/api/v1/catalog/entries/${ids[key]}`)).status).toBe(200));
    }
  });

  afterAll(async () => {
    for (const node of federation.running.values()) await node.stop().catch(() => undefined);
    for (const db of federation.databases.values()) await db.drop();
    await deleteNamespaceStreams(SHARED_NATS_URL, namespace);
  });

  it('refuses at approval under (d) a project collecting items the catalog holds, naming the entries, and approves it once amended', async () => {
    const project = await declare(
      declaration({
        dataItems: [
          { name: '居民身份证号码', type: 'string', sensitive: true },
          { name: '出生日期', type: 'date', sensitive: false },
          { name: '企业名称信息', type: 'string', sensitive: false },
          { name: '巡查点位编号', type: 'string', sensitive: false },
        ],
      }),
    );
    const refused = await review(project.id, 'approval');
    expect(refused.status).toBe(201);
    expect(refused.body.decision).toBe('refuse');
    expect(refused.body.clauses.map((c) => `${c.clause}:${c.outcome}`)).toEqual(['a:pass', 'b:pass', 'c:pass', 'd:fail', 'e:pass']);
    const d = clause(refused.body, 'd').reason;
    expect(d).toContain('Article 12 (d)');
    for (const key of ['population', 'companies']) {
      expect(d).toContain(ids[key]);
      expect(d).toContain(codes[key]);
    }
    expect(d).toContain('origin 330106');
    expect(d).toContain('居民身份证号码 ~ 公民身份号码 (synonym)');
    expect(d).toContain('出生日期 ~ 出生日期 (exact)');
    expect(d).toContain('企业名称信息 ~ 企业名称 (exact)');
    expect(d).not.toContain('巡查点位编号 ~');

    // Refused: no stage is reviewed again until the project is amended; nothing is stored.
    const again = await review(project.id, 'approval');
    expect(again).toMatchObject({ status: 422, body: { rule: 'project-refused-until-amended', article: 'Article 12' } });
    expect((await api<ProjectView>(url('330100'), 'GET', `/api/v1/projects/${project.id}`)).body.reviews).toHaveLength(1);

    const amended = await api<ProjectView>(url('330100'), 'PATCH', `/api/v1/projects/${project.id}`, { ...declaration(), institutionId: undefined });
    expect(amended.status).toBe(200);
    expect(amended.body).toMatchObject({ status: 'declared', declarationVersion: 2 });
    expect(await review(project.id, 'approval')).toMatchObject({ status: 201, body: { decision: 'approve', declarationVersion: 2 } });
  });

  it('refuses under (c) a project that registers nothing in the integrated system', async () => {
    const none = await declare(declaration({ name: '无资源项目', resources: [] }));
    const r1 = await review(none.id, 'approval');
    expect(r1.body.decision).toBe('refuse');
    expect(clause(r1.body, 'c')).toMatchObject({ outcome: 'fail' });
    expect(clause(r1.body, 'c').reason).toMatch(/Article 12 \(c\).*declares no catalog resource/);

    const unknown = await declare(declaration({ name: '未登记资源项目', resources: [{ ref: '330100-C-999999', type: 'component', use: 'use' }] }));
    const r2 = await review(unknown.id, 'approval');
    expect(clause(r2.body, 'c').outcome).toBe('fail');
    expect(clause(r2.body, 'c').reason).toContain('"330100-C-999999" is not registered');
    expect(clause(r2.body, 'c').reason).toContain('registers nothing');
    expect(r2.body.clauses.filter((c) => c.outcome === 'fail').map((c) => c.clause)).toEqual(['c']);
  });

  it('approves a clean project through the three stages in order, and refuses stages out of order (422, nothing stored)', async () => {
    const project = await declare(declaration({ name: '城市巡查三期' }));
    const early = await review(project.id, 'acceptance');
    expect(early).toMatchObject({ status: 422, body: { rule: 'project-stage-order', article: 'Article 12' } });
    expect((early.body as unknown as { message: string }).message).toContain('next stage is approval');
    expect((await api<ProjectView>(url('330100'), 'GET', `/api/v1/projects/${project.id}`)).body).toMatchObject({ status: 'declared', reviews: [] });

    for (const [stage, status] of [
      ['approval', 'approved'],
      ['acceptance', 'accepted'],
      ['operations', 'funded'],
    ]) {
      const r = await review(project.id, stage);
      expect({ stage, status: r.status, decision: r.body.decision, failed: r.body.clauses.filter((c) => c.outcome === 'fail') }).toEqual({
        stage,
        status: 201,
        decision: 'approve',
        failed: [],
      });
      expect((await api<ProjectView>(url('330100'), 'GET', `/api/v1/projects/${project.id}`)).body.status).toBe(status);
    }
    expect(await review(project.id, 'approval')).toMatchObject({ status: 422, body: { rule: 'project-stage-decided' } });
    const stored = (await api<ProjectView>(url('330100'), 'GET', `/api/v1/projects/${project.id}`)).body.reviews;
    expect(stored).toHaveLength(3);
    // Each decision is in the audit log, with the stage and the review it recorded; the refusals out of order are not decisions.
    const audit = await api<{ items: { action: string; outcome: string; details: { stage: string; review: string } }[] }>(
      url('330100'),
      'GET',
      `/api/v1/audit?action=project.review&target=${project.id}`,
    );
    expect(audit.body.items.map((r) => [r.outcome, r.details.stage, r.details.review])).toEqual(stored.map((r) => ['approve', r.stage, r.id]));
  });

  it('at acceptance, a system built must be an application entry of the catalog', async () => {
    const project = await declare(
      declaration({ name: '未登记系统项目', systems: [{ name: '另建系统', outsidePlatform: true, consentRef: '杭数资〔2026〕13号', catalogEntry: null }] }),
    );
    expect((await review(project.id, 'approval')).body.decision).toBe('approve');
    const acceptance = await review(project.id, 'acceptance');
    expect(acceptance.body.decision).toBe('refuse');
    expect(clause(acceptance.body, 'c').reason).toContain('system "另建系统" built is not an active application entry');
  });

  it('judges (a), (b) and (e) on the declared consents and security evidence', async () => {
    const project = await declare(
      declaration({
        name: '缺少同意与密评项目',
        systems: [{ name: '平台外系统', outsidePlatform: true, consentRef: null, catalogEntry: null }],
        networks: [{ name: '独立数据平台', kind: 'independent-platform', consentRef: null }],
        dataItems: [{ name: '巡查对象照片', type: 'binary', sensitive: true }],
        security: {
          cryptoAssessmentRef: null,
          cryptoAssessmentResult: null,
          protectionLevel: 2,
          filingNumber: '3301-1',
          managementPlanRef: '杭数安〔2026〕7号',
        },
      }),
    );
    const r = await review(project.id, 'approval');
    expect(r.body.clauses.map((c) => `${c.clause}:${c.outcome}`)).toEqual(['a:fail', 'b:fail', 'c:pass', 'd:pass', 'e:fail']);
    expect(clause(r.body, 'a').reason).toContain('independent platform "独立数据平台" has no consent reference');
    expect(clause(r.body, 'b').reason).toContain('system "平台外系统" outside the public data platform has no consent reference');
    const e = clause(r.body, 'e').reason;
    expect(e).toContain('no 商用密码应用安全性评估');
    expect(e).toContain('graded protection level 2 is below the required level 3');
    expect(e).toContain('filing number is not 11 digits');
  });

  it('refuses a declaration with missing parts with a 400 naming each, and stores nothing', async () => {
    const before = (await api<{ items: ProjectView[] }>(url('330100'), 'GET', '/api/v1/projects?limit=500')).body.items.length;
    const { security: _s, ...withoutSecurity } = declaration();
    const bad = { ...withoutSecurity, funds: { source: '省级财政资金' }, systems: [{ name: '系统', outsidePlatform: false }] };
    const response = await api(url('330100'), 'POST', '/api/v1/projects', bad);
    expect(response.status).toBe(400);
    const fields = (response.body.fields as { field: string }[]).map((f) => f.field);
    expect(fields).toEqual(expect.arrayContaining(['security', 'funds.amountYuan', 'systems.0.consentRef', 'systems.0.catalogEntry']));
    expect((await api(url('330100'), 'POST', '/api/v1/projects', { ...declaration(), extra: 1 })).status).toBe(400);
    expect((await api<{ items: ProjectView[] }>(url('330100'), 'GET', '/api/v1/projects?limit=500')).body.items.length).toBe(before);
  });

  it('lets the operator extend the synonym table, which the next review reads', async () => {
    const project = await declare(declaration({ name: '同义词项目', dataItems: [{ name: '出生年份月份日', type: 'date', sensitive: false }] }));
    expect(clause((await review(project.id, 'approval')).body, 'd').outcome).toBe('pass');
    const added = await api(url('330100'), 'POST', '/api/v1/projects/synonyms', { names: ['出生日期', '出生年份月份日'] });
    expect(added.status).toBe(201);
    const second = await declare(declaration({ name: '同义词项目二', dataItems: [{ name: '出生年份月份日', type: 'date', sensitive: false }] }));
    const d = clause((await review(second.id, 'approval')).body, 'd');
    expect(d.outcome).toBe('fail');
    expect(d.reason).toContain('出生年份月份日 ~ 出生日期 (synonym)');
    expect((await api(url('330100'), 'PUT', '/api/v1/projects/synonyms', { groups: [{ names: ['x'] }] })).status).toBe(400);
  });

  it("lets an institution admin declare and read its own institution's projects only, and not review them", async () => {
    const other = (await api(url('330100'), 'POST', '/api/v1/institutions', sampleInstitution('杭州市交通运输局'))).body.id;
    const admin = await accountWith(url('330100'), 'city.inst.admin', [{ role: 'institution-admin', institutionId: cityInstitution }]);
    const own = await apiWith<ProjectView>(admin.token, url('330100'), 'POST', '/api/v1/projects', declaration({ name: '本单位项目' }));
    expect(own.status).toBe(201);
    expect((await apiWith(admin.token, url('330100'), 'POST', '/api/v1/projects', declaration({ institutionId: other }))).status).toBe(403);
    const otherProject = await declare(declaration({ name: '他单位项目', institutionId: other }));
    expect((await apiWith(admin.token, url('330100'), 'GET', `/api/v1/projects/${otherProject.id}`)).status).toBe(403);
    const listed = (await apiWith<{ items: ProjectView[] }>(admin.token, url('330100'), 'GET', '/api/v1/projects?limit=500')).body.items;
    expect(new Set(listed.map((p) => p.institutionId))).toEqual(new Set([cityInstitution]));
    expect((await apiWith(admin.token, url('330100'), 'POST', `/api/v1/projects/${own.body.id}/reviews`, { stage: 'approval' })).status).toBe(403);
  });

  it('publishes every decision upward: the province holds the projects as the city signed them', async () => {
    const city = (await api<{ publicKey: string }>(url('330100'), 'GET', '/api/v1/node')).body;
    const local = (await api<{ items: ProjectView[] }>(url('330100'), 'GET', '/api/v1/projects?limit=500')).body.items;
    await eventually(async () => {
      const page = await api<{ items: ProjectStateView[] }>(url('330000'), 'GET', '/api/v1/supervision/projects?within=330100&limit=500');
      expect(page.status).toBe(200);
      const held = new Map(page.body.items.map((s) => [s.data.projectId, s]));
      for (const p of local) {
        const state = held.get(p.id);
        expect(state).toMatchObject({ origin: '330100', key: `project:${p.id}`, data: { status: p.status, name: p.name } });
      }
    });
    const page = await api<{ items: ProjectStateView[] }>(url('330000'), 'GET', '/api/v1/supervision/projects?within=330100&limit=500');
    const funded = page.body.items.find((s) => s.data.name === '城市巡查三期')!;
    expect(funded.data.stages.map((s) => `${s.stage}:${s.decision}`)).toEqual(['approval:approve', 'acceptance:approve', 'operations:approve']);
    for (const state of page.body.items) {
      expect(verifyEnvelope({ payload: state.payload, sig: state.sig }, publicKeyFromBase64url(city.publicKey))).toBe(true);
      expect(JSON.parse(state.payload).body.data).toEqual(state.data);
    }
    // The county's subtree holds none of the city's projects.
    expect((await api<{ items: unknown[] }>(url('330000'), 'GET', '/api/v1/supervision/projects?within=330106')).body.items).toEqual([]);
    expect((await api(url('330100'), 'GET', '/api/v1/supervision/projects?within=330200')).status).toBe(422);
  });
});
