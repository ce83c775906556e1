import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import {
  type AllocationRatio,
  type ComputeAmounts,
  type EntryState,
  type EntryType,
  fits,
  type ResourceReuse,
  type ResourcesOverview,
  type ResourcesStateData,
  resourcesStateData,
  type ResourceTypeCounts,
  type ResourceView,
  RESOURCES_MAX_INSTITUTIONS,
  RESOURCES_MAX_REUSE,
} from '@tdx/contracts';
import { jurisdictionPrefix } from '@tdx/divisions';
import { NODE_CONFIG, NodeRuntimeConfig } from '../config/node-config';
import { DomainRefusal, Refusal } from '../common/domain-refusal';
import type { Principal } from '../access/principal';
import { CatalogEntryRepository } from '../catalog/catalog-entry.repository';
import { InstitutionScope } from '../catalog/institution-scope';
import { InstitutionRepository } from '../institutions/institution.repository';
import { SupervisionStates } from '../supervision/supervision-states.service';
import { SupervisionScope } from '../supervision/supervision-scope';
import { allocatedOn, allocationRefusals, capacityRefusals } from './resource-rules';
import { ResourceRepository } from './resource.repository';
import type { CreateAllocationDto, DependencyDto, SetCapacityDto } from './dto/resources.dto';

/** How often this node's resources summary is recomputed (a catalog change alone republishes it then). */
const REFRESH_MS = 5 * 60_000;
const DUPLICATE_GROUPS_SHOWN = 100;

const zeroCounts = (): ResourceTypeCounts => ({ data: 0, application: 0, component: 0, compute: 0 });
const zeroAmounts = (): ComputeAmounts => ({ vcpu: 0, memoryGiB: 0, storageTiB: 0 });
const today = () => new Date().toISOString().slice(0, 10);
const addMilli = (a: number, b: number) => Math.round(a * 1000 + b * 1000) / 1000;

function ratio(allocated: ComputeAmounts, capacity: ComputeAmounts): AllocationRatio {
  const r = (a: number, c: number) => (c > 0 ? Math.round((a / c) * 10_000) / 10_000 : null);
  return {
    vcpu: r(allocated.vcpu, capacity.vcpu),
    memoryGiB: r(allocated.memoryGiB, capacity.memoryGiB),
    storageTiB: r(allocated.storageTiB, capacity.storageTiB),
  };
}

/**
 * Article 11's integrated management of resources: an application's dependencies, a compute
 * resource's capacity and allocations, reuse counts, and a summary per node carried up the tree as
 * the `resources` supervision state, which a city or the province adds up for its subtree.
 */
@Injectable()
export class ResourcesService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger('Resources');
  private timer?: NodeJS.Timeout;

  constructor(
    @Inject(NODE_CONFIG) private readonly config: NodeRuntimeConfig,
    private readonly dataSource: DataSource,
    private readonly repository: ResourceRepository,
    private readonly entries: CatalogEntryRepository,
    private readonly institutions: InstitutionRepository,
    private readonly scope: InstitutionScope,
    private readonly supervisionScope: SupervisionScope,
    private readonly states: SupervisionStates,
  ) {}

  onApplicationBootstrap(): void {
    // Catalog changes are made elsewhere; a periodic recomputation catches them. Not at start-up:
    // an unchanged summary publishes nothing anyway, and a node without resources publishes none.
    this.timer = setInterval(() => {
      this.refresh().catch((error: Error) => this.log.warn(`resources summary not refreshed: ${error.message}`));
    }, REFRESH_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  /** Recomputes and publishes this node's summary (nothing when unchanged, or when empty and never published). */
  async refresh(): Promise<void> {
    const published = await this.dataSource.transaction((manager) => this.publishSummary(manager, true));
    if (published) this.states.relay();
  }

  async get(entryId: string): Promise<ResourceView> {
    const manager = this.dataSource.manager;
    const entry = await this.entries.findById(manager, entryId);
    if (!entry) throw DomainRefusal.notFound(`no catalog entry ${entryId} at this node`);
    return this.viewOf(manager, entry);
  }

  async setDependencies(entryId: string, dependencies: DependencyDto[], actor: Principal): Promise<ResourceView> {
    const seen = new Set<string>();
    const repeated = dependencies.map((d, i) => ({ i, id: d.entryId.toLowerCase() })).filter(({ id }) => (seen.has(id) ? true : (seen.add(id), false)));
    if (repeated.length > 0) {
      throw DomainRefusal.invalid(
        repeated.map(({ i }) => ({ field: `dependencies.${i}.entryId`, messages: [`dependencies.${i}.entryId names an entry already listed`] })),
      );
    }
    const view = await this.dataSource.transaction(async (manager) => {
      const app = await this.ownActive(manager, entryId, 'application', actor);
      const held = new Map<string, EntryState>();
      for (const d of dependencies) {
        const entry = await this.entries.findById(manager, d.entryId);
        if (entry) held.set(d.entryId.toLowerCase(), entry);
      }
      const refusals: Refusal[] = dependencies.flatMap((d, i): Refusal[] => {
        const entry = held.get(d.entryId.toLowerCase());
        if (!entry) {
          return [
            {
              rule: 'dependency-unknown',
              article: 'Article 11',
              message: `dependencies.${i}: entry ${d.entryId} is not held at this node (a dependency must be this node's own entry or one of its subtree's)`,
            },
          ];
        }
        if (entry.type !== d.kind) {
          return [
            {
              rule: 'dependency-kind-mismatch',
              article: 'Article 11',
              message: `dependencies.${i}: entry ${d.entryId} is a ${entry.type} entry, not ${d.kind}`,
            },
          ];
        }
        if (entry.status !== 'active') {
          return [{ rule: 'dependency-retired', article: 'Article 11', message: `dependencies.${i}: entry ${d.entryId} is retired` }];
        }
        return [];
      });
      if (refusals.length > 0) throw DomainRefusal.refused(refusals);
      await this.repository.replaceDependencies(
        manager,
        app.id,
        dependencies.map((d) => ({ entryId: (held.get(d.entryId.toLowerCase()) as EntryState).id, kind: d.kind })),
      );
      await this.publishSummary(manager);
      return this.viewOf(manager, app);
    });
    this.states.relay();
    return view;
  }

  async setCapacity(entryId: string, dto: SetCapacityDto, actor: Principal): Promise<ResourceView> {
    const capacity: ComputeAmounts = { vcpu: dto.vcpu, memoryGiB: dto.memoryGiB, storageTiB: dto.storageTiB };
    const view = await this.dataSource.transaction(async (manager) => {
      const entry = await this.ownActive(manager, entryId, 'compute', actor);
      const refusals = capacityRefusals(capacity, await this.repository.allocations(manager, entry.id));
      if (refusals.length > 0) throw DomainRefusal.refused(refusals);
      await this.repository.setCapacity(manager, entry.id, capacity);
      await this.publishSummary(manager);
      return this.viewOf(manager, entry);
    });
    this.states.relay();
    return view;
  }

  async allocate(entryId: string, dto: CreateAllocationDto, actor: Principal): Promise<ResourceView> {
    if (dto.to !== undefined && dto.to < dto.from) throw DomainRefusal.invalid([{ field: 'to', messages: ['to must not be before from'] }]);
    const view = await this.dataSource.transaction(async (manager) => {
      // The entry's row lock serialises allocations of one resource: two at once cannot both fit.
      const entry = await this.ownActive(manager, entryId, 'compute', actor);
      const capacity = await this.repository.capacity(manager, entry.id);
      if (!capacity) {
        throw DomainRefusal.refused([
          { rule: 'capacity-not-set', article: 'Article 11', message: 'set the capacity of this compute resource before allocating it' },
        ]);
      }
      if ((await this.institutions.originOf(manager, dto.institutionId)) === undefined) {
        throw DomainRefusal.refused([
          {
            rule: 'institution-unknown',
            article: 'Article 11',
            message: `institution ${dto.institutionId} is not held at this node (its own or its subtree's)`,
          },
        ]);
      }
      const next = { vcpu: dto.vcpu, memoryGiB: dto.memoryGiB, storageTiB: dto.storageTiB, from: dto.from, to: dto.to ?? null };
      const refusals = allocationRefusals(capacity, await this.repository.allocations(manager, entry.id), next);
      if (refusals.length > 0) throw DomainRefusal.refused(refusals);
      await this.repository.insertAllocation(manager, entry.id, {
        ...next,
        id: randomUUID(),
        institutionId: dto.institutionId.toLowerCase(),
        createdAt: new Date().toISOString(),
      });
      await this.publishSummary(manager);
      return this.viewOf(manager, entry);
    });
    this.states.relay();
    return view;
  }

  /** This node's summary, as its `resources` state carries it. */
  async summary(manager: EntityManager): Promise<ResourcesStateData> {
    const counts = await this.repository.entryCounts(manager, this.config.code);
    const use = await this.repository.use(manager, this.config.code);
    const compute = await this.repository.computeTotals(manager, this.config.code, today());
    return { ...counts, ...use, compute };
  }

  /** The integrated view of a subtree: each node's latest summary, their sum, and duplicates among the entries held. */
  async overview(within: string | undefined): Promise<ResourcesOverview> {
    const division = this.supervisionScope.resolve(within);
    // This node's own figure is made fresh for the reader; its subtree's are as their nodes last published them.
    await this.refresh();
    const nodes: ResourcesOverview['nodes'] = [];
    let after: { origin: string; key: string } | undefined;
    for (;;) {
      const page = await this.states.find({ topic: 'resources', within: division, keyPrefix: 'node', limit: 500, after });
      for (const s of page) {
        // Checked on receipt; checked again so that a stored row of another shape is left out, never a 500.
        if (s.key !== 'node' || !fits(resourcesStateData, s.data)) continue;
        const summary = s.data as ResourcesStateData;
        nodes.push({
          origin: s.origin,
          version: s.version,
          computedAt: s.computedAt,
          summary,
          allocationRatio: ratio(summary.compute.allocated, summary.compute.capacity),
        });
      }
      if (page.length < 500) break;
      after = { origin: page[page.length - 1].origin, key: page[page.length - 1].key };
    }
    const duplicates = await this.repository.duplicates(this.dataSource.manager, jurisdictionPrefix(division), DUPLICATE_GROUPS_SHOWN);
    return {
      within: division,
      nodes,
      total: rollUp(nodes.map((n) => n.summary)),
      duplicates: duplicates.groups.map((g) => ({
        type: g.type,
        normalisedName: g.normalised,
        entries: g.entries.map((e) => ({ entryId: e.id, origin: e.origin, providerId: e.provider_id, name: e.name })),
      })),
      duplicateGroups: duplicates.total,
    };
  }

  /** Publishes the summary inside `manager`'s transaction; true when a new version was published. */
  private async publishSummary(manager: EntityManager, skipEmpty = false): Promise<boolean> {
    const data = await this.summary(manager);
    if (skipEmpty && isEmpty(data) && !(await this.states.get('resources', this.config.code, 'node'))) return false;
    return (await this.states.publish(manager, 'resources', 'node', data)).kind === 'published';
  }

  /** The entry, locked, if it is this node's own active entry of `type` and the actor may manage it; else the refusal. */
  private async ownActive(manager: EntityManager, entryId: string, type: EntryType, actor: Principal): Promise<EntryState> {
    const entry = await this.entries.findById(manager, entryId, true);
    if (!entry) throw DomainRefusal.notFound(`no catalog entry ${entryId} at this node`);
    this.scope.assertMayActFor(actor, entry.providerId, 'write');
    const refusals: Refusal[] = [];
    if (entry.type !== type) refusals.push({ rule: `not-${type}`, article: 'Article 11', message: `entry ${entryId} is a ${entry.type} entry, not ${type}` });
    if (entry.origin !== this.config.code) {
      refusals.push({
        rule: 'resource-not-local',
        article: 'Article 11',
        message: `entry ${entryId} belongs to node ${entry.origin}: a node manages its own resources only`,
      });
    }
    if (entry.status !== 'active') refusals.push({ rule: 'resource-retired', article: 'Article 11', message: `entry ${entryId} is retired` });
    if (refusals.length > 0) throw DomainRefusal.refused(refusals);
    return entry;
  }

  private async viewOf(manager: EntityManager, entry: EntryState): Promise<ResourceView> {
    const allocations = entry.type === 'compute' ? await this.repository.allocations(manager, entry.id) : [];
    return {
      entryId: entry.id,
      type: entry.type,
      name: entry.name,
      origin: entry.origin,
      providerId: entry.providerId,
      status: entry.status,
      dependencies: entry.type === 'application' ? await this.repository.dependenciesOf(manager, entry.id) : [],
      usedBy: entry.type === 'data' || entry.type === 'component' ? await this.repository.usedBy(manager, this.config.code, entry.id) : 0,
      capacity: entry.type === 'compute' ? ((await this.repository.capacity(manager, entry.id)) ?? null) : null,
      allocations: allocations.map(({ id, institutionId, vcpu, memoryGiB, storageTiB, from, to, createdAt }) => ({
        id,
        institutionId,
        vcpu,
        memoryGiB,
        storageTiB,
        from,
        to,
        createdAt,
      })),
      allocatedToday: allocatedOn(allocations, today()),
    };
  }
}

function isEmpty(d: ResourcesStateData): boolean {
  const { entries: e, compute: c } = d;
  return e.data + e.application + e.component + e.compute === 0 && d.dependencies.data + d.dependencies.component === 0 && c.resources === 0;
}

/** The sum of a subtree's summaries (institutions and reuse merged by id: an entry may be used from several nodes). */
export function rollUp(summaries: ResourcesStateData[]): ResourcesOverview['total'] {
  const entries = zeroCounts();
  const institutions = new Map<string, ResourceTypeCounts>();
  const reuse = new Map<string, ResourceReuse>();
  const dependencies = { data: 0, component: 0 };
  const compute = { resources: 0, capacity: zeroAmounts(), allocated: zeroAmounts() };
  const typeKeys = Object.keys(entries) as (keyof ResourceTypeCounts)[];
  const amountKeys = Object.keys(compute.capacity) as (keyof ComputeAmounts)[];
  for (const s of summaries) {
    for (const t of typeKeys) entries[t] += s.entries[t];
    for (const i of s.institutions) {
      const held = institutions.get(i.institutionId) ?? zeroCounts();
      for (const t of typeKeys) held[t] += i.entries[t];
      institutions.set(i.institutionId, held);
    }
    for (const r of s.reuse) {
      const held = reuse.get(r.entryId);
      reuse.set(r.entryId, { ...r, applications: (held?.applications ?? 0) + r.applications });
    }
    dependencies.data += s.dependencies.data;
    dependencies.component += s.dependencies.component;
    compute.resources += s.compute.resources;
    for (const k of amountKeys) {
      compute.capacity[k] = addMilli(compute.capacity[k], s.compute.capacity[k]);
      compute.allocated[k] = addMilli(compute.allocated[k], s.compute.allocated[k]);
    }
  }
  const total = (c: ResourceTypeCounts) => c.data + c.application + c.component + c.compute;
  return {
    nodes: summaries.length,
    entries,
    institutions: [...institutions]
      .map(([institutionId, counts]) => ({ institutionId, entries: counts }))
      .sort((a, b) => total(b.entries) - total(a.entries) || a.institutionId.localeCompare(b.institutionId))
      .slice(0, RESOURCES_MAX_INSTITUTIONS),
    dependencies,
    reuse: [...reuse.values()].sort((a, b) => b.applications - a.applications || a.entryId.localeCompare(b.entryId)).slice(0, RESOURCES_MAX_REUSE),
    compute,
    allocationRatio: ratio(compute.allocated, compute.capacity),
  };
}
