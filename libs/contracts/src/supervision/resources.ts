import { array, integer, object, oneOf, refined, type Schema, uuid } from '../schema';

/** Active catalog entries by type (Article 11: applications, components, compute and data). */
export interface ResourceTypeCounts {
  data: number;
  application: number;
  component: number;
  compute: number;
}

/** Amounts of compute: virtual CPUs, memory in GiB, storage in TiB (up to three decimals). */
export interface ComputeAmounts {
  vcpu: number;
  memoryGiB: number;
  storageTiB: number;
}

/** How many of this node's applications depend on one entry (an entry this node holds: its own or its subtree's). */
export interface ResourceReuse {
  entryId: string;
  kind: 'data' | 'component';
  applications: number;
}

/**
 * The `resources` supervision state of a node (key `node`): its resources summed, never listed, so
 * that the state stays small whatever the catalog's size. A city or the province adds up its
 * subtree's states for the rolled-up view (docs/assessment.md, "Resources").
 */
export interface ResourcesStateData {
  /** This node's own active entries, by type. */
  entries: ResourceTypeCounts;
  /** The same by provider institution, the largest first (at most RESOURCES_MAX_INSTITUTIONS). */
  institutions: { institutionId: string; entries: ResourceTypeCounts }[];
  /** Institutions left out of `institutions` (a node with more than the limit). */
  institutionsOmitted: number;
  /** Dependencies of this node's active applications, by kind. */
  dependencies: { data: number; component: number };
  /** The most reused entries (most applications first, at most RESOURCES_MAX_REUSE). */
  reuse: ResourceReuse[];
  /** This node's active compute resources: how many, their capacity, and what is allocated on the day computed. */
  compute: { resources: number; capacity: ComputeAmounts; allocated: ComputeAmounts };
}

export const RESOURCES_MAX_INSTITUTIONS = 500;
export const RESOURCES_MAX_REUSE = 100;
/** The largest amount a state carries: far above any real machine room, small enough to add up exactly. */
export const COMPUTE_AMOUNT_MAX = 1e12;

/** A non-negative amount with at most three decimals. */
const amount: Schema<number> = ((value: unknown, path: string) =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= COMPUTE_AMOUNT_MAX && Math.abs(Math.round(value * 1000) - value * 1000) < 1e-6
    ? undefined
    : `${path} must be a number from 0 to ${COMPUTE_AMOUNT_MAX} with at most three decimals`) as Schema<number>;

const count = integer(0);

const typeCounts = object<ResourceTypeCounts>({ data: count, application: count, component: count, compute: count });
const amounts = object<ComputeAmounts>({ vcpu: amount, memoryGiB: amount, storageTiB: amount });

export const resourcesStateData: Schema<ResourcesStateData> = object<ResourcesStateData>({
  entries: typeCounts,
  institutions: array(object<ResourcesStateData['institutions'][number]>({ institutionId: uuid, entries: typeCounts }), RESOURCES_MAX_INSTITUTIONS),
  institutionsOmitted: count,
  dependencies: object<ResourcesStateData['dependencies']>({ data: count, component: count }),
  reuse: array(object<ResourceReuse>({ entryId: uuid, kind: oneOf(['data', 'component'] as const), applications: integer(1) }), RESOURCES_MAX_REUSE),
  compute: refined(
    object<ResourcesStateData['compute']>({ resources: count, capacity: amounts, allocated: amounts }),
    // Allocations never exceed capacity at a node (the rule of its API), so a state that says so is not believed.
    (c) => c.allocated.vcpu <= c.capacity.vcpu && c.allocated.memoryGiB <= c.capacity.memoryGiB && c.allocated.storageTiB <= c.capacity.storageTiB,
    'allocated must not exceed capacity',
  ),
});
