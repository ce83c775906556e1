import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { api, apiOk, apiWith, eventually, testNamespace } from '@tdx/testing';
import type { NodeResourcesView, ResourcesOverview, ResourceView } from '@tdx/contracts';
import { inProcessFederation } from './support/nodes';
import { awaitTrustLists } from './support/replication';
import { accountWith } from './support/auth';
import { sampleEntry, sampleInstitution } from './support/samples';

const CODES = ['330000', '330100', '330106'];

/**
 * Article 11 at a county (Xihu) under Hangzhou under the province: applications' dependencies,
 * compute capacity and allocations, reuse counts, and the county's resources summary carried up to
 * the province's integrated view.
 */
describe('resources (Article 11)', () => {
  const namespace = testNamespace();
  const federation = inProcessFederation(namespace, 'res', mkdtempSync(join(tmpdir(), 'tdx-res-')));
  const url = (code: string) => federation.running.get(code)!.url;
  const county = () => url('330106');
  let institution: string;
  let other: string;
  const ids: Record<string, string> = {};
  /** Which data entries and components each application uses, as this test sets them: the independent record of reuse. */
  const uses: Record<string, string[]> = {};

  const register = async (base: string, providerId: string, name: string, type: string, extra: Record<string, unknown> = {}) =>
    (await apiOk(base, 'POST', '/api/v1/catalog/entries', sampleEntry(providerId, { name, type, ...(type === 'data' ? {} : { dataItems: [] }), ...extra })))
      .body.id as string;

  beforeAll(async () => {
    await federation.start('330000', undefined, {});
    await federation.start('330100', '330000', {});
    await federation.start('330106', '330100', {});
    await awaitTrustLists(CODES.map(url), CODES);
    institution = (await apiOk(county(), 'POST', '/api/v1/institutions', sampleInstitution('Xihu Big Data Bureau'))).body.id;
    other = (await apiOk(county(), 'POST', '/api/v1/institutions', sampleInstitution('Xihu Health Commission'))).body.id;
    ids.register = await register(county(), institution, 'Enterprise register', 'data');
    ids.licences = await register(county(), institution, 'Licences', 'data');
    ids.health = await register(county(), other, 'Clinics', 'data');
    ids.map = await register(county(), institution, 'Map component', 'component');
    ids.portal = await register(county(), institution, 'Service portal', 'application');
    ids.approvals = await register(county(), institution, 'Approvals app', 'application');
    ids.clinicApp = await register(county(), other, 'Clinic app', 'application');
    ids.cloud = await register(county(), institution, 'Xihu cloud', 'compute');
    ids.retired = await register(county(), institution, 'Old app', 'application');
    await apiOk(county(), 'DELETE', `/api/v1/catalog/entries/${ids.retired}`);
  });

  afterAll(async () => {
    for (const code of [...CODES].reverse()) await federation.running.get(code)?.stop();
    for (const db of federation.databases.values()) await db.drop();
  });

  async function setDependencies(app: string, deps: [string, 'data' | 'component'][]): Promise<ResourceView> {
    const { body } = await apiOk<ResourceView>(county(), 'PUT', `/api/v1/resources/${app}/dependencies`, {
      dependencies: deps.map(([entryId, kind]) => ({ entryId, kind })),
    });
    uses[app] = deps.map(([id]) => id);
    return body;
  }

  it("records an application's dependencies and counts reuse as the applications using each entry", async () => {
    const portal = await setDependencies(ids.portal, [
      [ids.register, 'data'],
      [ids.licences, 'data'],
      [ids.map, 'component'],
    ]);
    expect(portal.dependencies.map((d) => d.entryId).sort()).toEqual([ids.register, ids.licences, ids.map].sort());
    await setDependencies(ids.approvals, [
      [ids.register, 'data'],
      [ids.map, 'component'],
    ]);
    await setDependencies(ids.clinicApp, [
      [ids.health, 'data'],
      [ids.map, 'component'],
      [ids.register, 'data'],
    ]);
    // Replacing a list replaces it: the portal no longer uses the licences.
    await setDependencies(ids.portal, [
      [ids.register, 'data'],
      [ids.map, 'component'],
    ]);
    for (const entry of [ids.register, ids.licences, ids.health, ids.map]) {
      const independent = Object.values(uses).filter((list) => list.includes(entry)).length;
      const { body } = await apiOk<ResourceView>(county(), 'GET', `/api/v1/resources/${entry}`);
      expect({ entry, usedBy: body.usedBy }).toEqual({ entry, usedBy: independent });
    }
  });

  it('refuses a dependency on an entry it does not hold, of the wrong kind, or for what is not its own active application; nothing changes', async () => {
    const before = (await apiOk<ResourceView>(county(), 'GET', `/api/v1/resources/${ids.portal}`)).body.dependencies;
    const unknown = '5b7a3c1e-0000-4000-8000-000000000001';
    const cases: [string, unknown, number, string][] = [
      [
        ids.portal,
        {
          dependencies: [
            { entryId: ids.register, kind: 'data' },
            { entryId: unknown, kind: 'data' },
          ],
        },
        422,
        'dependency-unknown',
      ],
      [ids.portal, { dependencies: [{ entryId: ids.map, kind: 'data' }] }, 422, 'dependency-kind-mismatch'],
      [ids.register, { dependencies: [{ entryId: ids.map, kind: 'component' }] }, 422, 'not-application'],
      [ids.retired, { dependencies: [{ entryId: ids.map, kind: 'component' }] }, 422, 'resource-retired'],
      [ids.portal, { dependencies: [{ entryId: ids.map, kind: 'component', weight: 1 }] }, 400, 'dependencies.0.weight'],
      [
        ids.portal,
        {
          dependencies: [
            { entryId: ids.map, kind: 'component' },
            { entryId: ids.map, kind: 'component' },
          ],
        },
        400,
        'dependencies.1.entryId',
      ],
      [unknown, { dependencies: [] }, 404, 'no catalog entry'],
    ];
    for (const [app, body, status, named] of cases) {
      const answer = await api(county(), 'PUT', `/api/v1/resources/${app}/dependencies`, body);
      expect({ status: answer.status, named: JSON.stringify(answer.body).includes(named) }).toEqual({ status, named: true });
    }
    expect((await apiOk<ResourceView>(county(), 'GET', `/api/v1/resources/${ids.portal}`)).body.dependencies).toEqual(before);
    // The province holds the county's application as a replica; it does not manage it.
    await eventually(async () => expect((await api(url('330000'), 'GET', `/api/v1/resources/${ids.portal}`)).status).toBe(200));
    const atProvince = await api(url('330000'), 'PUT', `/api/v1/resources/${ids.portal}/dependencies`, { dependencies: [] });
    expect(atProvince).toMatchObject({ status: 422, body: { rule: 'resource-not-local', article: 'Article 11' } });
  });

  it('allocates compute to institutions within its capacity, and refuses what would exceed it, storing nothing', async () => {
    const cloud = `/api/v1/resources/${ids.cloud}`;
    const alloc = (institutionId: string, vcpu: number, from: string, to?: string) => ({
      institutionId,
      vcpu,
      memoryGiB: vcpu * 2,
      storageTiB: 0.5,
      from,
      ...(to ? { to } : {}),
    });
    expect(await api(county(), 'POST', `${cloud}/allocations`, alloc(institution, 1, '2026-01-01'))).toMatchObject({
      status: 422,
      body: { rule: 'capacity-not-set' },
    });
    await apiOk(county(), 'PUT', `${cloud}/capacity`, { vcpu: 100, memoryGiB: 256, storageTiB: 2 });
    await apiOk(county(), 'POST', `${cloud}/allocations`, alloc(institution, 60, '2026-01-01', '2026-06-30'), { expect: [201] });
    // 60 + 50 > 100 in June.
    const over = await api(county(), 'POST', `${cloud}/allocations`, alloc(other, 50, '2026-06-01', '2026-12-31'));
    expect(over).toMatchObject({ status: 422, body: { rule: 'allocation-exceeds-capacity', article: 'Article 11' } });
    expect(over.body.message).toMatch(/vCPU/);
    await apiOk(county(), 'POST', `${cloud}/allocations`, alloc(other, 40, '2026-06-01', '2026-12-31'), { expect: [201] });
    // After June the first allocation has ended: 40 + 60 fits again, open-ended.
    await apiOk(county(), 'POST', `${cloud}/allocations`, alloc(institution, 60, '2026-07-01'), { expect: [201] });
    // Storage: 0.5 + 0.5 in the second half, then 1.6 more would pass 2 TiB.
    const storage = await api(county(), 'POST', `${cloud}/allocations`, { ...alloc(other, 0, '2027-01-01'), storageTiB: 1.6 });
    expect(storage).toMatchObject({ status: 422, body: { rule: 'allocation-exceeds-capacity' } });
    expect(storage.body.message).toMatch(/storage/);
    expect(await api(county(), 'PUT', `${cloud}/capacity`, { vcpu: 99, memoryGiB: 256, storageTiB: 2 })).toMatchObject({
      status: 422,
      body: { rule: 'capacity-below-allocations' },
    });
    const unknownInstitution = await api(county(), 'POST', `${cloud}/allocations`, alloc('5b7a3c1e-0000-4000-8000-000000000002', 1, '2028-01-01'));
    expect(unknownInstitution).toMatchObject({ status: 422, body: { rule: 'institution-unknown' } });
    const malformed = await api(county(), 'POST', `${cloud}/allocations`, { ...alloc(other, -1, '2026-13-01'), storageTiB: 0.0001, gpu: 1 });
    expect(malformed.status).toBe(400);
    expect(malformed.body.fields.map((f: { field: string }) => f.field).sort()).toEqual(['from', 'gpu', 'memoryGiB', 'storageTiB', 'vcpu']);
    expect((await api(county(), 'POST', `${cloud}/allocations`, alloc(other, 1, '2026-05-01', '2026-04-01'))).status).toBe(400);
    const { body } = await apiOk<ResourceView>(county(), 'GET', cloud);
    expect(body.capacity).toEqual({ vcpu: 100, memoryGiB: 256, storageTiB: 2 });
    expect(body.allocations.map((a) => [a.institutionId, a.vcpu, a.from, a.to])).toEqual([
      [institution, 60, '2026-01-01', '2026-06-30'],
      [other, 40, '2026-06-01', '2026-12-31'],
      [institution, 60, '2026-07-01', null],
    ]);
    expect((await federation.databases.get('330106')!.query(`SELECT count(*)::int AS n FROM compute_allocation`))[0]).toEqual({ n: 3 });
  });

  it("lets institution staff manage only their own institution's resources", async () => {
    const admin = (await accountWith(county(), 'res.admin', [{ role: 'institution-admin', institutionId: other }])).token;
    const mine = await apiWith(admin, county(), 'PUT', `/api/v1/resources/${ids.clinicApp}/dependencies`, {
      dependencies: [{ entryId: ids.health, kind: 'data' }],
    });
    expect(mine.status).toBe(200);
    uses[ids.clinicApp] = [ids.health];
    expect((await apiWith(admin, county(), 'PUT', `/api/v1/resources/${ids.portal}/dependencies`, { dependencies: [] })).status).toBe(403);
    expect((await apiWith(admin, county(), 'PUT', `/api/v1/resources/${ids.cloud}/capacity`, { vcpu: 1000, memoryGiB: 1000, storageTiB: 10 })).status).toBe(
      403,
    );
  });

  it("carries the county's summary to the province, whose view adds up its subtree and finds duplicates", async () => {
    // A city entry with the county's name written another way: a duplicate across nodes.
    const cityInstitution = (await apiOk(url('330100'), 'POST', '/api/v1/institutions', sampleInstitution('Hangzhou Market Bureau'))).body.id;
    const cityEntry = await register(url('330100'), cityInstitution, ' ENTERPRISE  register（ ）', 'data', { regionScope: '330100' });
    const cityApp = await register(url('330100'), cityInstitution, 'City portal', 'application', { regionScope: '330100' });
    // The city's application may depend on an entry of its county, which it holds as a replica.
    await eventually(async () => expect((await api(url('330100'), 'GET', `/api/v1/resources/${ids.register}`)).status).toBe(200));
    await apiOk(url('330100'), 'PUT', `/api/v1/resources/${cityApp}/dependencies`, { dependencies: [{ entryId: ids.register, kind: 'data' }] });

    const countyNow = (await apiOk<ResourcesOverview>(county(), 'GET', '/api/v1/supervision/resources')).body;
    const own = countyNow.nodes.find((n) => n.origin === '330106') as NodeResourcesView;
    expect(own.summary.entries).toEqual({ data: 3, application: 3, component: 1, compute: 1 });
    expect(own.summary.dependencies).toEqual({
      data: Object.values(uses)
        .flat()
        .filter((id) => [ids.register, ids.licences, ids.health].includes(id)).length,
      component: Object.values(uses)
        .flat()
        .filter((id) => id === ids.map).length,
    });
    // Today's allocations, by the test's own reading of the periods.
    const day = new Date().toISOString().slice(0, 10);
    const periods: [number, string, string | null][] = [
      [60, '2026-01-01', '2026-06-30'],
      [40, '2026-06-01', '2026-12-31'],
      [60, '2026-07-01', null],
    ];
    const vcpuToday = periods.filter(([, from, to]) => from <= day && (to === null || day <= to)).reduce((s, [v]) => s + v, 0);
    expect(own.summary.compute).toMatchObject({ resources: 1, capacity: { vcpu: 100, memoryGiB: 256, storageTiB: 2 }, allocated: { vcpu: vcpuToday } });
    expect(own.allocationRatio.vcpu).toBeCloseTo(vcpuToday / 100, 4);

    await eventually(async () => {
      const { body } = await apiOk<ResourcesOverview>(url('330000'), 'GET', '/api/v1/supervision/resources');
      const origins = body.nodes.map((n) => n.origin);
      expect(origins).toEqual(expect.arrayContaining(['330100', '330106']));
      const fromCounty = body.nodes.find((n) => n.origin === '330106')!;
      expect(fromCounty.version).toBe(own.version);
      expect(fromCounty.summary).toEqual(own.summary);
      // The roll-up is the sum of the nodes' states.
      const sum = (f: (n: NodeResourcesView) => number) => body.nodes.reduce((s, n) => s + f(n), 0);
      expect(body.total.nodes).toBe(body.nodes.length);
      expect(body.total.entries.data).toBe(sum((n) => n.summary.entries.data));
      expect(body.total.entries.application).toBe(sum((n) => n.summary.entries.application));
      expect(body.total.compute.capacity.vcpu).toBe(sum((n) => n.summary.compute.capacity.vcpu));
      // The county's register is used by three of its applications (as set above) and by the city's portal.
      const independent = Object.values(uses).filter((list) => list.includes(ids.register)).length + 1;
      expect(body.total.reuse.find((r) => r.entryId === ids.register)?.applications).toBe(independent);
      const group = body.duplicates.find((g) => g.normalisedName === 'enterpriseregister' && g.type === 'data');
      expect(group?.entries.map((e) => e.entryId).sort()).toEqual([ids.register, cityEntry].sort());
    }, 30_000);
    // Within a city: only its subtree.
    const { body: hangzhou } = await apiOk<ResourcesOverview>(url('330000'), 'GET', '/api/v1/supervision/resources?within=330100');
    expect(hangzhou.nodes.every((n) => n.origin.startsWith('3301'))).toBe(true);
    expect(await api(url('330100'), 'GET', '/api/v1/supervision/resources?within=330200')).toMatchObject({
      status: 422,
      body: { rule: 'supervision-within-jurisdiction', article: 'Article 7' },
    });
  });
});
