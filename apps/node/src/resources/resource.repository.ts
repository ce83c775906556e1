import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import type { ComputeAmounts, EntryStatus, EntryType, ResourceDependencyView, ResourceReuse, ResourceTypeCounts } from '@tdx/contracts';
import { RESOURCES_MAX_INSTITUTIONS, RESOURCES_MAX_REUSE } from '@tdx/contracts';
import type { Period } from './resource-rules';

export interface StoredAllocation extends Period {
  id: string;
  institutionId: string;
  createdAt: string;
}

/**
 * The normalised name of the duplication rule (docs/assessment.md, "Duplication"): Unicode NFKC
 * (full-width letters and brackets become their plain forms), lower case, without white space and
 * punctuation, Chinese punctuation included. As SQL, so that the grouping runs where the entries are.
 */
export const NORMALISED_NAME_SQL = `lower(regexp_replace(normalize(name, NFKC), '[[:space:][:punct:]、。·《》“”‘’【】「」]', '', 'g'))`;

const ZERO_COUNTS = (): ResourceTypeCounts => ({ data: 0, application: 0, component: 0, compute: 0 });

const amountsOf = (r: { vcpu: string; memory_gib: string; storage_tib: string }): ComputeAmounts => ({
  vcpu: Number(r.vcpu),
  memoryGiB: Number(r.memory_gib),
  storageTiB: Number(r.storage_tib),
});

/** The one owner of resource_dependency, compute_capacity and compute_allocation. */
@Injectable()
export class ResourceRepository {
  async replaceDependencies(manager: EntityManager, applicationId: string, dependencies: { entryId: string; kind: 'data' | 'component' }[]): Promise<void> {
    await manager.query(`DELETE FROM resource_dependency WHERE application_id = $1`, [applicationId]);
    if (dependencies.length === 0) return;
    await manager.query(
      `INSERT INTO resource_dependency (application_id, dependency_id, kind)
       SELECT $1, d.id, d.kind FROM unnest($2::uuid[], $3::text[]) AS d (id, kind)`,
      [applicationId, dependencies.map((d) => d.entryId), dependencies.map((d) => d.kind)],
    );
  }

  async dependenciesOf(manager: EntityManager, applicationId: string): Promise<ResourceDependencyView[]> {
    const rows: { id: string; kind: 'data' | 'component'; name: string; origin: string; status: EntryStatus }[] = await manager.query(
      `SELECT e.id, d.kind, e.name, e.origin, e.status FROM resource_dependency d JOIN catalog_entry e ON e.id = d.dependency_id
       WHERE d.application_id = $1 ORDER BY d.kind, e.name, e.id`,
      [applicationId],
    );
    return rows.map((r) => ({ entryId: r.id, kind: r.kind, name: r.name, origin: r.origin, status: r.status }));
  }

  /** The reuse count of an entry: active applications of this node that depend on it. */
  async usedBy(manager: EntityManager, origin: string, entryId: string): Promise<number> {
    const [row]: { n: string }[] = await manager.query(
      `SELECT count(*) AS n FROM resource_dependency d JOIN catalog_entry a ON a.id = d.application_id
       WHERE d.dependency_id = $1 AND a.origin = $2 AND a.status = 'active'`,
      [entryId, origin],
    );
    return Number(row.n);
  }

  async capacity(manager: EntityManager, entryId: string, forUpdate = false): Promise<ComputeAmounts | undefined> {
    const rows: { vcpu: string; memory_gib: string; storage_tib: string }[] = await manager.query(
      `SELECT vcpu, memory_gib, storage_tib FROM compute_capacity WHERE entry_id = $1${forUpdate ? ' FOR UPDATE' : ''}`,
      [entryId],
    );
    return rows[0] ? amountsOf(rows[0]) : undefined;
  }

  async setCapacity(manager: EntityManager, entryId: string, c: ComputeAmounts): Promise<void> {
    await manager.query(
      `INSERT INTO compute_capacity (entry_id, vcpu, memory_gib, storage_tib) VALUES ($1, $2, $3, $4)
       ON CONFLICT (entry_id) DO UPDATE SET vcpu = EXCLUDED.vcpu, memory_gib = EXCLUDED.memory_gib, storage_tib = EXCLUDED.storage_tib, updated_at = now()`,
      [entryId, c.vcpu, c.memoryGiB, c.storageTiB],
    );
  }

  async allocations(manager: EntityManager, entryId: string): Promise<StoredAllocation[]> {
    const rows: {
      id: string;
      institution_id: string;
      vcpu: string;
      memory_gib: string;
      storage_tib: string;
      valid_from: string;
      valid_to: string | null;
      created_at: Date;
    }[] = await manager.query(
      `SELECT id, institution_id, vcpu, memory_gib, storage_tib, valid_from::text, valid_to::text, created_at
       FROM compute_allocation WHERE entry_id = $1 ORDER BY valid_from, created_at, id`,
      [entryId],
    );
    return rows.map((r) => ({
      id: r.id,
      institutionId: r.institution_id,
      ...amountsOf(r),
      from: r.valid_from,
      to: r.valid_to,
      createdAt: r.created_at.toISOString(),
    }));
  }

  async insertAllocation(manager: EntityManager, entryId: string, a: StoredAllocation): Promise<void> {
    await manager.query(
      `INSERT INTO compute_allocation (id, entry_id, institution_id, vcpu, memory_gib, storage_tib, valid_from, valid_to, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [a.id, entryId, a.institutionId, a.vcpu, a.memoryGiB, a.storageTiB, a.from, a.to, a.createdAt],
    );
  }

  /** This node's own active entries by type, overall and by provider (the largest providers first). */
  async entryCounts(
    manager: EntityManager,
    origin: string,
  ): Promise<{ entries: ResourceTypeCounts; institutions: { institutionId: string; entries: ResourceTypeCounts }[]; institutionsOmitted: number }> {
    const rows: { provider_id: string; type: EntryType; n: string }[] = await manager.query(
      `SELECT provider_id, type, count(*) AS n FROM catalog_entry WHERE origin = $1 AND status = 'active' GROUP BY provider_id, type`,
      [origin],
    );
    const entries = ZERO_COUNTS();
    const byInstitution = new Map<string, ResourceTypeCounts>();
    for (const r of rows) {
      entries[r.type] += Number(r.n);
      const counts = byInstitution.get(r.provider_id) ?? ZERO_COUNTS();
      counts[r.type] += Number(r.n);
      byInstitution.set(r.provider_id, counts);
    }
    const total = (c: ResourceTypeCounts) => c.data + c.application + c.component + c.compute;
    const institutions = [...byInstitution]
      .map(([institutionId, counts]) => ({ institutionId, entries: counts }))
      .sort((a, b) => total(b.entries) - total(a.entries) || a.institutionId.localeCompare(b.institutionId));
    return {
      entries,
      institutions: institutions.slice(0, RESOURCES_MAX_INSTITUTIONS),
      institutionsOmitted: Math.max(0, institutions.length - RESOURCES_MAX_INSTITUTIONS),
    };
  }

  /** Dependencies of this node's active applications by kind, and the most reused entries. */
  async use(manager: EntityManager, origin: string): Promise<{ dependencies: { data: number; component: number }; reuse: ResourceReuse[] }> {
    const rows: { dependency_id: string; kind: 'data' | 'component'; n: string }[] = await manager.query(
      `SELECT d.dependency_id, d.kind, count(*) AS n FROM resource_dependency d JOIN catalog_entry a ON a.id = d.application_id
       WHERE a.origin = $1 AND a.status = 'active' GROUP BY d.dependency_id, d.kind`,
      [origin],
    );
    const dependencies = { data: 0, component: 0 };
    for (const r of rows) dependencies[r.kind] += Number(r.n);
    const reuse = rows
      .map((r) => ({ entryId: r.dependency_id, kind: r.kind, applications: Number(r.n) }))
      .sort((a, b) => b.applications - a.applications || a.entryId.localeCompare(b.entryId))
      .slice(0, RESOURCES_MAX_REUSE);
    return { dependencies, reuse };
  }

  /** This node's active compute resources: how many, their capacity and what is allocated on `day`. */
  async computeTotals(
    manager: EntityManager,
    origin: string,
    day: string,
  ): Promise<{ resources: number; capacity: ComputeAmounts; allocated: ComputeAmounts }> {
    const [row]: { resources: string; vcpu: string; memory_gib: string; storage_tib: string; a_vcpu: string; a_memory_gib: string; a_storage_tib: string }[] =
      await manager.query(
        `SELECT count(*) AS resources, coalesce(sum(c.vcpu), 0) AS vcpu, coalesce(sum(c.memory_gib), 0) AS memory_gib,
           coalesce(sum(c.storage_tib), 0) AS storage_tib,
           coalesce(sum(a.vcpu), 0) AS a_vcpu, coalesce(sum(a.memory_gib), 0) AS a_memory_gib, coalesce(sum(a.storage_tib), 0) AS a_storage_tib
         FROM catalog_entry e
         LEFT JOIN compute_capacity c ON c.entry_id = e.id
         LEFT JOIN LATERAL (
           SELECT sum(vcpu) AS vcpu, sum(memory_gib) AS memory_gib, sum(storage_tib) AS storage_tib FROM compute_allocation
           WHERE entry_id = e.id AND valid_from <= $2::date AND (valid_to IS NULL OR valid_to >= $2::date)
         ) a ON true
         WHERE e.origin = $1 AND e.type = 'compute' AND e.status = 'active'`,
        [origin, day],
      );
    return {
      resources: Number(row.resources),
      capacity: amountsOf(row),
      allocated: { vcpu: Number(row.a_vcpu), memoryGiB: Number(row.a_memory_gib), storageTiB: Number(row.a_storage_tib) },
    };
  }

  /**
   * Groups of active entries in a subtree with the same type and normalised name under more than
   * one provider or origin: the largest first, at most `limit`, and how many groups there are.
   */
  async duplicates(
    manager: EntityManager,
    prefix: string,
    limit: number,
  ): Promise<{
    groups: { type: EntryType; normalised: string; entries: { id: string; origin: string; provider_id: string; name: string }[] }[];
    total: number;
  }> {
    const rows: { type: EntryType; normalised: string; entries: { id: string; origin: string; provider_id: string; name: string }[]; total: string }[] =
      await manager.query(
        `WITH named AS (
           SELECT id, origin, provider_id, name, type, ${NORMALISED_NAME_SQL} AS normalised
           FROM catalog_entry WHERE origin LIKE $1 AND status = 'active'
         ), groups AS (
           SELECT type, normalised, count(*) AS n FROM named WHERE normalised <> ''
           GROUP BY type, normalised HAVING count(DISTINCT provider_id) > 1 OR count(DISTINCT origin) > 1
         ), top AS (
           SELECT type, normalised, n, count(*) OVER () AS total FROM groups ORDER BY n DESC, type, normalised LIMIT $2
         )
         SELECT t.type, t.normalised, t.total,
           json_agg(json_build_object('id', m.id, 'origin', m.origin, 'provider_id', m.provider_id, 'name', m.name) ORDER BY m.origin, m.id) AS entries
         FROM top t
         JOIN (SELECT *, row_number() OVER (PARTITION BY type, normalised ORDER BY origin, id) AS rn FROM named) m
           ON m.type = t.type AND m.normalised = t.normalised AND m.rn <= 50
         GROUP BY t.type, t.normalised, t.total, t.n ORDER BY t.n DESC, t.type, t.normalised`,
        [`${prefix}%`, limit],
      );
    return { groups: rows.map((r) => ({ type: r.type, normalised: r.normalised, entries: r.entries })), total: rows[0] ? Number(rows[0].total) : 0 };
  }
}
