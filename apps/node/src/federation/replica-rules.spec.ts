import type { EntryState, ReplicationRecord } from '@tdx/contracts';
import { attributionProblem } from './record-checks';
import { replicaVerdict } from './replica-rules';

const entry: EntryState = {
  id: '0b6f9f4e-6a54-4a6b-9d1c-3f1f3c2a1b00',
  origin: '330106',
  code: '330106-D-000001',
  type: 'data',
  name: 'Enterprise register',
  summary: 'Registered enterprises',
  providerId: '7d2c1e3a-1b2c-4d5e-8f90-a1b2c3d4e5f6',
  category: 'market-regulation',
  grade: 'L1',
  shareType: 'unconditional',
  shareCondition: null,
  legalBasis: null,
  openType: 'unconditional',
  updateCycle: 'daily',
  format: 'csv',
  regionScope: '330106',
  dataItems: [{ name: 'uscc', type: 'string', sensitive: false }],
  relatedResources: [],
  releaseDate: null,
  status: 'active',
  version: 1,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
};
const received = (body: object): ReplicationRecord =>
  ({ v: 1, kind: 'entry.upsert', origin: '330106', seq: 1, at: entry.updatedAt, body }) as ReplicationRecord;
const problem = (body: object) => attributionProblem(received(body), '330106');
const rules = (body: object, providerOrigin: string | null = '330106') => {
  const verdict = replicaVerdict(body as EntryState, providerOrigin ?? undefined);
  return verdict.kind === 'refused' ? verdict.refusals.map((r) => r.rule) : verdict.kind;
};

describe('checks of a received entry version', () => {
  it('accepts what the origin would have accepted', () => {
    expect(problem(entry)).toBeUndefined();
    expect(rules(entry)).toBe('ok');
  });

  it('holds every field to the API limits and vocabularies, refusing unknown fields', () => {
    expect(problem({ ...entry, name: 'x'.repeat(201) })).toMatch(/name:/);
    expect(problem({ ...entry, summary: 'x'.repeat(4001) })).toMatch(/summary:/);
    expect(problem({ ...entry, shareType: 'bartered' })).toMatch(/shareType:/);
    expect(problem({ ...entry, dataItems: [{ name: 'a', type: 'string', sensitive: 'no' }] })).toMatch(/dataItems\.0\.sensitive/);
    expect(problem({ ...entry, dataItems: [] })).toMatch(/at least one data item/);
    expect(problem({ ...entry, relatedResources: Array(51).fill('r') })).toMatch(/relatedResources:/);
    expect(problem({ ...entry, purpose: 'smuggled' })).toMatch(/purpose: property purpose should not exist/);
    expect(problem({ ...entry, version: 1.5 })).toMatch(/version:/);
    expect(problem({ ...entry, id: 'not-a-uuid' })).toMatch(/id:/);
    const { regionScope: _dropped, ...withoutRegion } = entry;
    expect(problem(withoutRegion)).toMatch(/regionScope:/);
  });

  it('refuses a body nested too deeply to validate instead of failing the batch', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(problem({ ...entry, relatedResources: deep })).toMatch(/malformed/);
  });

  it('applies the catalog rules of the origin, naming rule and article', () => {
    expect(rules({ ...entry, grade: 'L4' })).toEqual(['l4-never-opened']);
    expect(rules({ ...entry, grade: 'L3' })).toEqual(['l2-l3-restricted-opening']);
    expect(rules({ ...entry, grade: 'L4', openType: 'prohibited', shareType: 'none' })).toEqual(['legal-basis-required']);
    expect(rules({ ...entry, shareType: 'conditional', shareCondition: ' ' })).toEqual(['share-condition-required']);
    expect(rules({ ...entry, stateSecret: true })).toEqual(['state-secret']);
    const verdict = replicaVerdict({ ...entry, stateSecret: true } as EntryState, '330106');
    expect(verdict).toMatchObject({ kind: 'refused', refusals: [{ rule: 'state-secret', article: 'Article 2' }] });
  });

  it('wants the provider registered at the entry origin, and waits while it is unknown', () => {
    expect(rules(entry, '330108')).toEqual(['provider-not-local']);
    expect(rules(entry, null)).toBe('wait');
    // A rule broken as well: refused at once, no wait.
    expect(rules({ ...entry, grade: 'L4' }, null)).toEqual(['l4-never-opened']);
  });
});
