import {
  type AllocationRatio,
  type ComputeAllocationView,
  type ComputeAmounts,
  type DuplicateGroupView,
  ENTRY_STATUSES,
  ENTRY_TYPES,
  type EntryStatus,
  type EntryType,
  type NodeResourcesView,
  type ResourceDependencyView,
  type ResourceReuse,
  type ResourcesOverview,
  type ResourcesStateData,
  type ResourceTypeCounts,
  type ResourceView,
} from '@tdx/contracts';
import { View } from '../../common/api-docs';
import { DEPENDENCY_KINDS } from './resources.dto';

class ComputeAmountsViewDto implements ComputeAmounts {
  @View.number()
  vcpu!: number;

  @View.number()
  memoryGiB!: number;

  @View.number()
  storageTiB!: number;
}

class ResourceDependencyViewDto implements ResourceDependencyView {
  @View.uuid()
  entryId!: string;

  @View.oneOf(DEPENDENCY_KINDS)
  kind!: 'data' | 'component';

  @View.text()
  name!: string;

  @View.text()
  origin!: string;

  @View.oneOf(ENTRY_STATUSES)
  status!: EntryStatus;
}

class ComputeAllocationViewDto extends ComputeAmountsViewDto implements ComputeAllocationView {
  @View.uuid()
  id!: string;

  @View.uuid()
  institutionId!: string;

  @View.text({ example: '2026-01-01' })
  from!: string;

  @View.textOrNull({ example: '2026-12-31' })
  to!: string | null;

  @View.time()
  createdAt!: string;
}

export class ResourceViewDto implements ResourceView {
  @View.uuid()
  entryId!: string;

  @View.oneOf(ENTRY_TYPES)
  type!: EntryType;

  @View.text()
  name!: string;

  @View.text()
  origin!: string;

  @View.uuid()
  providerId!: string;

  @View.oneOf(ENTRY_STATUSES)
  status!: EntryStatus;

  @View.of([ResourceDependencyViewDto])
  dependencies!: ResourceDependencyView[];

  @View.int({ description: 'active applications of this node that depend on this entry' })
  usedBy!: number;

  @View.of(ComputeAmountsViewDto, { nullable: true })
  capacity!: ComputeAmounts | null;

  @View.of([ComputeAllocationViewDto])
  allocations!: ComputeAllocationView[];

  @View.of(ComputeAmountsViewDto)
  allocatedToday!: ComputeAmounts;
}

class TypeCountsViewDto implements ResourceTypeCounts {
  @View.int()
  data!: number;

  @View.int()
  application!: number;

  @View.int()
  component!: number;

  @View.int()
  compute!: number;
}

class InstitutionCountsViewDto {
  @View.uuid()
  institutionId!: string;

  @View.of(TypeCountsViewDto)
  entries!: ResourceTypeCounts;
}

class DependencyCountsViewDto {
  @View.int()
  data!: number;

  @View.int()
  component!: number;
}

class ReuseViewDto implements ResourceReuse {
  @View.uuid()
  entryId!: string;

  @View.oneOf(DEPENDENCY_KINDS)
  kind!: 'data' | 'component';

  @View.int()
  applications!: number;
}

class ComputeTotalsViewDto {
  @View.int()
  resources!: number;

  @View.of(ComputeAmountsViewDto)
  capacity!: ComputeAmounts;

  @View.of(ComputeAmountsViewDto)
  allocated!: ComputeAmounts;
}

class AllocationRatioViewDto implements AllocationRatio {
  @View.numberOrNull()
  vcpu!: number | null;

  @View.numberOrNull()
  memoryGiB!: number | null;

  @View.numberOrNull()
  storageTiB!: number | null;
}

class ResourcesSummaryViewDto implements ResourcesStateData {
  @View.of(TypeCountsViewDto)
  entries!: ResourceTypeCounts;

  @View.of([InstitutionCountsViewDto])
  institutions!: ResourcesStateData['institutions'];

  @View.int()
  institutionsOmitted!: number;

  @View.of(DependencyCountsViewDto)
  dependencies!: ResourcesStateData['dependencies'];

  @View.of([ReuseViewDto])
  reuse!: ResourceReuse[];

  @View.of(ComputeTotalsViewDto)
  compute!: ResourcesStateData['compute'];
}

class NodeResourcesViewDto implements NodeResourcesView {
  @View.text()
  origin!: string;

  @View.int()
  version!: number;

  @View.time()
  computedAt!: string;

  @View.of(ResourcesSummaryViewDto)
  summary!: ResourcesStateData;

  @View.of(AllocationRatioViewDto)
  allocationRatio!: AllocationRatio;
}

class ResourcesTotalViewDto {
  @View.int()
  nodes!: number;

  @View.of(TypeCountsViewDto)
  entries!: ResourceTypeCounts;

  @View.of([InstitutionCountsViewDto])
  institutions!: ResourcesOverview['total']['institutions'];

  @View.of(DependencyCountsViewDto)
  dependencies!: ResourcesOverview['total']['dependencies'];

  @View.of([ReuseViewDto])
  reuse!: ResourceReuse[];

  @View.of(ComputeTotalsViewDto)
  compute!: ResourcesOverview['total']['compute'];

  @View.of(AllocationRatioViewDto)
  allocationRatio!: AllocationRatio;
}

class DuplicateEntryViewDto {
  @View.uuid()
  entryId!: string;

  @View.text()
  origin!: string;

  @View.uuid()
  providerId!: string;

  @View.text()
  name!: string;
}

class DuplicateGroupViewDto implements DuplicateGroupView {
  @View.oneOf(ENTRY_TYPES)
  type!: EntryType;

  @View.text()
  normalisedName!: string;

  @View.of([DuplicateEntryViewDto])
  entries!: DuplicateGroupView['entries'];
}

export class ResourcesOverviewDto implements ResourcesOverview {
  @View.text()
  within!: string;

  @View.of([NodeResourcesViewDto])
  nodes!: NodeResourcesView[];

  @View.of(ResourcesTotalViewDto)
  total!: ResourcesOverview['total'];

  @View.of([DuplicateGroupViewDto])
  duplicates!: DuplicateGroupView[];

  @View.int()
  duplicateGroups!: number;
}
