import type { EntryStatus, EntryType } from '../vocabulary';
import type { ComputeAmounts, ResourceReuse, ResourceTypeCounts, ResourcesStateData } from '../supervision/resources';

/** One dependency of an application: a data entry or a component this node holds. */
export interface ResourceDependencyView {
  entryId: string;
  kind: 'data' | 'component';
  name: string;
  origin: string;
  status: EntryStatus;
}

/** One allocation of a compute resource to an institution, from `from` to `to` (inclusive; `to` null: until further notice). */
export interface ComputeAllocationView extends ComputeAmounts {
  id: string;
  institutionId: string;
  from: string;
  to: string | null;
  createdAt: string;
}

/** A resource as Article 11 manages it: the catalog entry, what it depends on, what uses it, its capacity and allocations. */
export interface ResourceView {
  entryId: string;
  type: EntryType;
  name: string;
  origin: string;
  providerId: string;
  status: EntryStatus;
  /** An application's dependencies (empty for other types). */
  dependencies: ResourceDependencyView[];
  /** How many active applications at this node depend on this entry (its reuse count). */
  usedBy: number;
  /** A compute resource's capacity; null for other types or before it is set. */
  capacity: ComputeAmounts | null;
  /** A compute resource's allocations, the earliest first. */
  allocations: ComputeAllocationView[];
  /** What is allocated today (the sum of allocations whose period holds today). */
  allocatedToday: ComputeAmounts;
}

/** Allocated share of capacity (0..1 per dimension; null where the capacity is 0). */
export interface AllocationRatio {
  vcpu: number | null;
  memoryGiB: number | null;
  storageTiB: number | null;
}

/** One node's resources summary as its state says, with where it came from. */
export interface NodeResourcesView {
  origin: string;
  version: number;
  computedAt: string;
  summary: ResourcesStateData;
  allocationRatio: AllocationRatio;
}

/** Entries of the same normalised name and type held under more than one institution or node. */
export interface DuplicateGroupView {
  type: EntryType;
  normalisedName: string;
  entries: { entryId: string; origin: string; providerId: string; name: string }[];
}

/** The integrated resource view of a division's subtree (Article 11). */
export interface ResourcesOverview {
  within: string;
  /** Every node's latest state in the subtree, by division code. */
  nodes: NodeResourcesView[];
  /** The states added up. */
  total: {
    nodes: number;
    entries: ResourceTypeCounts;
    institutions: { institutionId: string; entries: ResourceTypeCounts }[];
    dependencies: { data: number; component: number };
    reuse: ResourceReuse[];
    compute: { resources: number; capacity: ComputeAmounts; allocated: ComputeAmounts };
    allocationRatio: AllocationRatio;
  };
  /** Duplicates among the catalog entries this node holds in the subtree (the largest groups first, at most 100). */
  duplicates: DuplicateGroupView[];
  duplicateGroups: number;
}
