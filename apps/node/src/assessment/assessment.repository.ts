import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import type { AssessmentWeights, AssessmentWeightSetView } from '@tdx/contracts';

/**
 * The catalog rules of the assessment, as SQL over `catalog_entry` (docs/assessment.md): which
 * entries are counted, which are complete, which may open and which do. Every figure is one
 * aggregate per origin, so the province's scorecard of its whole subtree is one scan.
 */
export const COUNTED_SQL = `status = 'active' AND type = 'data' AND created_at < $2`;
export const COMPLETE_SQL = `btrim(summary) <> '' AND btrim(category) <> '' AND format IS NOT NULL AND release_date IS NOT NULL AND jsonb_array_length(data_items) > 0`;
export const OPENABLE_SQL = `grade <> 'L4'`;
export const OPENED_SQL = `open_type IN ('unconditional', 'restricted')`;

export interface CatalogFigures {
  origin: string;
  data: number;
  complete: number;
  openable: number;
  opened: number;
}

/** The one owner of `assessment_weight_set`; reads the catalog's entries for the catalog indicators. */
@Injectable()
export class AssessmentRepository {
  async latestWeights(manager: EntityManager): Promise<AssessmentWeightSetView | undefined> {
    const rows: { version: number; weights: AssessmentWeights; set_by: string; set_at: Date }[] = await manager.query(
      `SELECT version, weights, set_by, set_at FROM assessment_weight_set ORDER BY version DESC LIMIT 1`,
    );
    return rows[0] ? { version: rows[0].version, weights: rows[0].weights, setBy: rows[0].set_by, setAt: rows[0].set_at.toISOString() } : undefined;
  }

  /** Stores the next version; the table lock makes two operators setting weights at once get versions n and n+1. */
  async insertWeights(manager: EntityManager, weights: AssessmentWeights, setBy: string): Promise<AssessmentWeightSetView> {
    await manager.query(`LOCK TABLE assessment_weight_set IN SHARE ROW EXCLUSIVE MODE`);
    const [row]: { version: number; set_at: Date }[] = await manager.query(
      `INSERT INTO assessment_weight_set (version, weights, set_by)
       SELECT coalesce(max(version), 0) + 1, $1::jsonb, $2 FROM assessment_weight_set RETURNING version, set_at`,
      [JSON.stringify(weights), setBy],
    );
    return { version: row.version, weights, setBy, setAt: row.set_at.toISOString() };
  }

  /** Per origin in the subtree: active data entries registered before `until`, complete ones, openable ones, opened ones. */
  async catalogFigures(manager: EntityManager, prefix: string, until: string): Promise<CatalogFigures[]> {
    const rows: { origin: string; data: string; complete: string; openable: string; opened: string }[] = await manager.query(
      `SELECT origin, count(*) AS data,
         count(*) FILTER (WHERE ${COMPLETE_SQL}) AS complete,
         count(*) FILTER (WHERE ${OPENABLE_SQL}) AS openable,
         count(*) FILTER (WHERE ${OPENABLE_SQL} AND ${OPENED_SQL}) AS opened
       FROM catalog_entry WHERE origin LIKE $1 AND ${COUNTED_SQL} GROUP BY origin`,
      [`${prefix}%`, until],
    );
    return rows.map((r) => ({ origin: r.origin, data: Number(r.data), complete: Number(r.complete), openable: Number(r.openable), opened: Number(r.opened) }));
  }

  /** Up to `limit` ids of one origin's counted entries that are incomplete, and of its openable entries that are not open. */
  async samples(manager: EntityManager, origin: string, until: string, limit: number): Promise<{ incomplete: string[]; notOpened: string[] }> {
    const ids = async (where: string) =>
      (
        (await manager.query(`SELECT id FROM catalog_entry WHERE origin = $1 AND ${COUNTED_SQL} AND ${where} ORDER BY id LIMIT $3`, [
          origin,
          until,
          limit,
        ])) as {
          id: string;
        }[]
      ).map((r) => r.id);
    return { incomplete: await ids(`NOT (${COMPLETE_SQL})`), notOpened: await ids(`${OPENABLE_SQL} AND NOT (${OPENED_SQL})`) };
  }
}
