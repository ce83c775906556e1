import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';

export interface RefreshTokenRow {
  id: string;
  familyId: string;
  accountId: string;
  expiresAt: Date;
  usedAt: Date | null;
  revokedAt: Date | null;
}

/** All SQL of refresh tokens; only their SHA-256 hashes are stored. */
@Injectable()
export class RefreshTokenRepository {
  async insert(manager: EntityManager, t: { id: string; familyId: string; accountId: string; tokenHash: string; ttlSeconds: number }): Promise<void> {
    await manager.query(
      `INSERT INTO refresh_token (id, family_id, account_id, token_hash, created_at, expires_at)
       VALUES ($1, $2, $3, $4, now(), now() + make_interval(secs => $5))`,
      [t.id, t.familyId, t.accountId, t.tokenHash, t.ttlSeconds],
    );
  }

  /** The token with this hash, locked so that two refreshes of one token take turns. */
  async findForUpdate(manager: EntityManager, tokenHash: string): Promise<RefreshTokenRow | undefined> {
    const rows = await manager.query(`SELECT id, family_id, account_id, expires_at, used_at, revoked_at FROM refresh_token WHERE token_hash = $1 FOR UPDATE`, [
      tokenHash,
    ]);
    const row = rows[0];
    return row
      ? {
          id: row.id,
          familyId: row.family_id,
          accountId: row.account_id,
          expiresAt: new Date(row.expires_at),
          usedAt: row.used_at ? new Date(row.used_at) : null,
          revokedAt: row.revoked_at ? new Date(row.revoked_at) : null,
        }
      : undefined;
  }

  async markUsed(manager: EntityManager, id: string): Promise<void> {
    await manager.query(`UPDATE refresh_token SET used_at = now() WHERE id = $1`, [id]);
  }

  async revokeFamily(manager: EntityManager, familyId: string): Promise<void> {
    await manager.query(`UPDATE refresh_token SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL`, [familyId]);
  }

  /**
   * Whether a sign-in still stands: it has tokens and none of them is revoked (revocation marks the
   * whole family). Its newest token outlives its access token (REFRESH_TOKEN_TTL plus the day kept
   * after expiry exceed any ACCESS_TOKEN_TTL), so a family with no rows left has no live access token.
   */
  async familyLive(manager: EntityManager, familyId: string): Promise<boolean> {
    const [row] = (await manager.query(`SELECT coalesce(bool_and(revoked_at IS NULL), false) AS live FROM refresh_token WHERE family_id = $1`, [familyId])) as {
      live: boolean;
    }[];
    return row.live;
  }

  async revokeAccount(manager: EntityManager, accountId: string): Promise<void> {
    await manager.query(`UPDATE refresh_token SET revoked_at = now() WHERE account_id = $1 AND revoked_at IS NULL`, [accountId]);
  }

  /** Revokes every sign-in of the account but `keepFamilyId`; returns the sign-ins it ended. */
  async revokeAccountExcept(manager: EntityManager, accountId: string, keepFamilyId: string): Promise<string[]> {
    const rows: { family_id: string }[] = await manager.query(
      `WITH gone AS (
         UPDATE refresh_token SET revoked_at = now() WHERE account_id = $1 AND family_id <> $2 AND revoked_at IS NULL RETURNING family_id
       ) SELECT DISTINCT family_id FROM gone`,
      [accountId, keepFamilyId],
    );
    return rows.map((r) => r.family_id);
  }

  /** Forgets tokens that expired a day ago: they can neither be used nor tell anything. */
  async deleteExpired(manager: EntityManager): Promise<void> {
    await manager.query(`DELETE FROM refresh_token WHERE expires_at < now() - interval '1 day'`);
  }
}
