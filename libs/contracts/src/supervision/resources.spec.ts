import { randomUUID } from 'node:crypto';
import { supervisionStateProblem } from './index';
import type { ResourcesStateData } from './resources';

const data = (): ResourcesStateData => ({
  entries: { data: 3, application: 2, component: 1, compute: 1 },
  institutions: [{ institutionId: randomUUID(), entries: { data: 3, application: 2, component: 1, compute: 1 } }],
  institutionsOmitted: 0,
  dependencies: { data: 2, component: 1 },
  reuse: [{ entryId: randomUUID(), kind: 'data', applications: 2 }],
  compute: { resources: 1, capacity: { vcpu: 100, memoryGiB: 256, storageTiB: 1.5 }, allocated: { vcpu: 60, memoryGiB: 120, storageTiB: 0.25 } },
});
const state = (d: unknown) => ({ origin: '330106', topic: 'resources', key: 'node', version: 1, computedAt: '2026-12-06T00:00:00.000Z', data: d });

describe('the resources supervision state', () => {
  it('takes a node summary', () => {
    expect(supervisionStateProblem(state(data()))).toBeUndefined();
  });

  it('refuses unknown fields, unbounded lists, bad amounts and more allocated than capacity', () => {
    const d = data();
    expect(supervisionStateProblem(state({ ...d, rows: [] }))).toMatch(/unknown field "rows"/);
    expect(supervisionStateProblem(state({ ...d, reuse: Array.from({ length: 101 }, () => d.reuse[0]) }))).toMatch(
      /body.data.reuse must be an array of at most 100/,
    );
    expect(supervisionStateProblem(state({ ...d, compute: { ...d.compute, capacity: { ...d.compute.capacity, vcpu: 0.0001 } } }))).toMatch(/three decimals/);
    expect(supervisionStateProblem(state({ ...d, compute: { ...d.compute, allocated: { ...d.compute.allocated, vcpu: 101 } } }))).toMatch(
      /allocated must not exceed capacity/,
    );
    expect(supervisionStateProblem(state({ ...d, entries: { ...d.entries, data: -1 } }))).toMatch(/entries.data must be an integer/);
  });
});
