import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { queryReturning } from '../common/returning';

export interface LeaseRow {
  name: string;
  holder: string;
  generation: string;
  expiresAt: Date;
}

/**
 * SQL of `worker_lease`. Expiry is always judged by the database's clock (`now()`), never by a
 * replica's, so replicas whose clocks disagree still agree on who holds a lease.
 */
@Injectable()
export class WorkerLeaseRepository {
  /**
   * Takes `name` for `holder` when nobody holds it, its holder let it expire, or its holder is
   * `deadHolder` (known dead: WorkerLeases.isDeadHere); the generation goes up by one at each
   * hand-over. Returns the new generation, or undefined while another holds it.
   */
  async acquire(manager: EntityManager, name: string, holder: string, ttlMs: number, deadHolder: string | null = null): Promise<string | undefined> {
    const rows = await queryReturning<{ generation: string }>(
      manager,
      `INSERT INTO worker_lease AS l (name, holder, generation, expires_at) VALUES ($1, $2, 1, now() + $3 * interval '1 millisecond')
       ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, generation = l.generation + 1, acquired_at = now(),
         renewed_at = now(), expires_at = EXCLUDED.expires_at
         WHERE l.expires_at <= now() OR l.holder = $4
       RETURNING generation`,
      [name, holder, ttlMs, deadHolder],
    );
    return rows[0]?.generation;
  }

  /** Who holds `name` now, expired or not; undefined when nobody ever took it. */
  async holderOf(manager: EntityManager, name: string): Promise<string | undefined> {
    const rows: { holder: string }[] = await manager.query(`SELECT holder FROM worker_lease WHERE name = $1`, [name]);
    return rows[0]?.holder;
  }

  /**
   * Extends the holder's term. Allowed even just after expiry as long as nobody took the lease over
   * (the generation is unchanged): no other replica can have done the work in between.
   */
  async renew(manager: EntityManager, name: string, holder: string, generation: string, ttlMs: number): Promise<boolean> {
    const rows = await queryReturning(
      manager,
      `UPDATE worker_lease SET expires_at = now() + $4 * interval '1 millisecond', renewed_at = now()
        WHERE name = $1 AND holder = $2 AND generation = $3 RETURNING 1`,
      [name, holder, generation, ttlMs],
    );
    return rows.length === 1;
  }

  /** Gives the lease up at once (a replica stopping), so another replica need not wait for the expiry. */
  async release(manager: EntityManager, name: string, holder: string, generation: string): Promise<void> {
    await manager.query(`UPDATE worker_lease SET expires_at = now() WHERE name = $1 AND holder = $2 AND generation = $3`, [name, holder, generation]);
  }

  /**
   * Inside a work transaction: true while `holder` still holds this generation. The row stays
   * share-locked until the transaction ends, so no hand-over can commit in between: either this
   * transaction commits under the lease, or it sees the lease gone.
   */
  async stillHeld(manager: EntityManager, name: string, holder: string, generation: string): Promise<boolean> {
    const rows: unknown[] = await manager.query(
      `SELECT 1 FROM worker_lease WHERE name = $1 AND holder = $2 AND generation = $3 AND expires_at > now() FOR SHARE`,
      [name, holder, generation],
    );
    return rows.length === 1;
  }

  async list(manager: EntityManager): Promise<LeaseRow[]> {
    return manager.query(`SELECT name, holder, generation, expires_at AS "expiresAt" FROM worker_lease ORDER BY name`);
  }
}
