import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import type { QualityRuleSet } from '@tdx/contracts';
import type { RuleTally } from './tally';

export interface StoredRuleSet {
  version: number;
  body: QualityRuleSet;
  setAt: string;
  setBy: string;
}

export interface QualityResult {
  entryId: string;
  institutionId: string;
  ruleSetVersion: number;
  checkedAt: string;
  rows: number;
  tallies: RuleTally[];
  samples: Record<string, string[]>;
}

/** All SQL of quality_rule_set and quality_result. */
@Injectable()
export class QualityRepository {
  async currentRuleSet(manager: EntityManager): Promise<StoredRuleSet | undefined> {
    const [row] = await manager.query(`SELECT version, body, set_at, set_by FROM quality_rule_set ORDER BY version DESC LIMIT 1`);
    return row ? { version: row.version, body: row.body, setAt: new Date(row.set_at).toISOString(), setBy: row.set_by } : undefined;
  }

  /** Stores `body` as the next version (after `held`); the table lock orders two operators storing at once. */
  async storeRuleSet(manager: EntityManager, body: QualityRuleSet, setBy: string, held: number): Promise<StoredRuleSet> {
    await manager.query(`LOCK TABLE quality_rule_set IN SHARE ROW EXCLUSIVE MODE`);
    const [row] = await manager.query(
      `INSERT INTO quality_rule_set (version, body, set_by) SELECT greatest(coalesce(max(version), 0), $3) + 1, $1, $2 FROM quality_rule_set
       RETURNING version, body, set_at, set_by`,
      [JSON.stringify(body), setBy, held],
    );
    return { version: row.version, body: row.body, setAt: new Date(row.set_at).toISOString(), setBy: row.set_by };
  }

  async saveResult(manager: EntityManager, r: QualityResult): Promise<void> {
    await manager.query(
      `INSERT INTO quality_result (entry_id, institution_id, rule_set_version, checked_at, rows, tallies, samples)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (entry_id) DO UPDATE SET institution_id = EXCLUDED.institution_id, rule_set_version = EXCLUDED.rule_set_version,
         checked_at = EXCLUDED.checked_at, rows = EXCLUDED.rows, tallies = EXCLUDED.tallies, samples = EXCLUDED.samples`,
      [r.entryId, r.institutionId, r.ruleSetVersion, r.checkedAt, r.rows, JSON.stringify(r.tallies), JSON.stringify(r.samples)],
    );
  }

  /** Forgets the results of entries not checked in the latest run (retired since). */
  async keepOnly(manager: EntityManager, entryIds: string[]): Promise<void> {
    await manager.query(`DELETE FROM quality_result WHERE NOT (entry_id = ANY($1::uuid[]))`, [entryIds]);
  }

  async result(manager: EntityManager, entryId: string): Promise<QualityResult | undefined> {
    const [row] = await manager.query(`SELECT ${RESULT_COLUMNS} FROM quality_result WHERE entry_id = $1`, [entryId]);
    return row ? toResult(row) : undefined;
  }

  /** Every result (one row per checked entry of this node: small next to the datasets they describe). */
  /** When the last check of an entry ended here; undefined before the first. */
  async lastCheckedAt(manager: EntityManager): Promise<Date | undefined> {
    const rows: { last: Date | null }[] = await manager.query(`SELECT max(checked_at) AS last FROM quality_result`);
    return rows[0]?.last ?? undefined;
  }

  async results(manager: EntityManager): Promise<QualityResult[]> {
    const rows = await manager.query(`SELECT ${RESULT_COLUMNS} FROM quality_result ORDER BY entry_id`);
    return rows.map(toResult);
  }
}

const RESULT_COLUMNS = `entry_id, institution_id, rule_set_version, checked_at, rows, tallies, samples`;

function toResult(row: Record<string, unknown>): QualityResult {
  return {
    entryId: row.entry_id as string,
    institutionId: row.institution_id as string,
    ruleSetVersion: row.rule_set_version as number,
    checkedAt: new Date(row.checked_at as string).toISOString(),
    rows: Number(row.rows),
    tallies: row.tallies as RuleTally[],
    samples: row.samples as Record<string, string[]>,
  };
}
