import type { ComputeAmounts, ResourceView } from '@tdx/contracts';
import { check, type CommandSpec } from '../command';
import { type Context, emit, table } from '../context';
import { resolveEntry } from '../entries';

const amounts = (a: ComputeAmounts) => `${a.vcpu} vCPU, ${a.memoryGiB} GiB memory, ${a.storageTiB} TiB storage`;

async function showCommand(ctx: Context, entry: string): Promise<void> {
  const id = await resolveEntry(ctx, entry, 'ENTRY');
  const r = await ctx.client.json<ResourceView>('GET', `/api/v1/resources/${id}`);
  emit(ctx, r, () => [
    `resource   ${r.entryId} ${r.name} (${r.type}, ${r.status}), of node ${r.origin}, provider ${r.providerId}`,
    ...(r.type === 'data' || r.type === 'component' ? [`used by    ${r.usedBy} application(s) of this node`] : []),
    ...(r.type === 'application'
      ? r.dependencies.length === 0
        ? ['depends on (nothing recorded)']
        : [
            'depends on',
            ...table(
              ['entry', 'kind', 'name', 'origin', 'status'],
              r.dependencies.map((d) => [d.entryId, d.kind, d.name, d.origin, d.status]),
            ),
          ]
      : []),
    ...(r.type === 'compute'
      ? [
          `capacity   ${r.capacity ? amounts(r.capacity) : '(not set)'}`,
          `allocated  ${amounts(r.allocatedToday)} today`,
          ...(r.allocations.length === 0
            ? []
            : table(
                ['institution', 'vCPU', 'GiB', 'TiB', 'from', 'to'],
                r.allocations.map((a) => [a.institutionId, String(a.vcpu), String(a.memoryGiB), String(a.storageTiB), a.from, a.to ?? '(open)']),
              )),
        ]
      : []),
  ]);
}

export const resourceCommands: CommandSpec[] = [
  {
    name: 'resources show',
    args: [{ name: 'ENTRY', help: "the entry's UUID or resource code", check: check.entry }],
    options: {},
    summary: 'A resource (Article 11): dependencies, reuse count, compute capacity and allocations',
    run: (ctx, { inv }) => showCommand(ctx, inv.args.ENTRY),
  },
];
