import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Role } from '../access/principal';

export interface AccountRole {
  role: Role;
  institutionId: string | null;
}

export interface AccountRow {
  id: string;
  username: string;
  passwordHash: string;
  disabled: boolean;
  sessionsValidAfter: Date;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
  roles: AccountRole[];
  rowSeq: number;
}

const SELECT = `
  SELECT a.id, a.username, a.password_hash, a.disabled, a.sessions_valid_after, a.created_by, a.created_at, a.updated_at, a.row_seq,
         COALESCE((SELECT json_agg(json_build_object('role', r.role, 'institutionId', r.institution_id) ORDER BY r.role, r.institution_id)
                   FROM account_role r WHERE r.account_id = a.id), '[]') AS roles
  FROM account a`;

/** All SQL of accounts and their roles. */
@Injectable()
export class AccountRepository {
  async count(manager: EntityManager): Promise<number> {
    const [row] = await manager.query(`SELECT count(*)::int AS n FROM account`);
    return row.n;
  }

  async findByUsername(manager: EntityManager, username: string): Promise<AccountRow | undefined> {
    const rows = await manager.query(`${SELECT} WHERE a.username = $1`, [username]);
    return rows[0] ? toRow(rows[0]) : undefined;
  }

  async findById(manager: EntityManager, id: string, forUpdate = false): Promise<AccountRow | undefined> {
    const rows = await manager.query(`${SELECT} WHERE a.id = $1${forUpdate ? ' FOR UPDATE OF a' : ''}`, [id]);
    return rows[0] ? toRow(rows[0]) : undefined;
  }

  /** A page of accounts in creation order; `institutionIds` keeps those holding a role in one of these institutions. */
  async list(manager: EntityManager, filter: { afterSeq: number; limit: number; institutionIds?: string[] }): Promise<AccountRow[]> {
    const rows = await manager.query(
      `${SELECT} WHERE a.row_seq > $1
         AND ($2::uuid[] IS NULL OR EXISTS (SELECT 1 FROM account_role r WHERE r.account_id = a.id AND r.institution_id = ANY($2::uuid[])))
       ORDER BY a.row_seq LIMIT $3`,
      [filter.afterSeq, filter.institutionIds ?? null, filter.limit],
    );
    return rows.map(toRow);
  }

  async insert(manager: EntityManager, a: { id: string; username: string; passwordHash: string; createdBy: string; roles: AccountRole[] }): Promise<void> {
    await manager.query(
      `INSERT INTO account (id, username, password_hash, sessions_valid_after, created_by, created_at, updated_at)
       VALUES ($1, $2, $3, 'epoch', $4, now(), now())`,
      [a.id, a.username, a.passwordHash, a.createdBy],
    );
    await this.replaceRoles(manager, a.id, a.roles);
  }

  async replaceRoles(manager: EntityManager, accountId: string, roles: AccountRole[]): Promise<void> {
    await manager.query(`DELETE FROM account_role WHERE account_id = $1`, [accountId]);
    for (const r of roles) {
      await manager.query(`INSERT INTO account_role (account_id, role, institution_id) VALUES ($1, $2, $3)`, [accountId, r.role, r.institutionId]);
    }
    await manager.query(`UPDATE account SET updated_at = now() WHERE id = $1`, [accountId]);
  }

  /**
   * A new password. With `endSessions` (a reset by an administrator) every session of the account
   * ends: access tokens issued before now are refused. "Now" is the node's clock, the one that
   * stamps the tokens, not the database server's. Without it (one's own change) the caller ends
   * the other sessions by their refresh tokens, so that the current one goes on.
   */
  async setPassword(manager: EntityManager, id: string, passwordHash: string, endSessions = true): Promise<void> {
    await manager.query(
      `UPDATE account SET password_hash = $2, sessions_valid_after = CASE WHEN $4 THEN $3 ELSE sessions_valid_after END, updated_at = now() WHERE id = $1`,
      [id, passwordHash, new Date(), endSessions],
    );
  }

  async setDisabled(manager: EntityManager, id: string, disabled: boolean): Promise<void> {
    await manager.query(
      `UPDATE account SET disabled = $2, sessions_valid_after = CASE WHEN $2 THEN $3 ELSE sessions_valid_after END, updated_at = now() WHERE id = $1`,
      [id, disabled, new Date()],
    );
  }

  /** Enabled accounts holding `role`, other than `exceptId`. */
  async countEnabledWithRole(manager: EntityManager, role: Role, exceptId: string): Promise<number> {
    const [row] = await manager.query(
      `SELECT count(DISTINCT a.id)::int AS n FROM account a JOIN account_role r ON r.account_id = a.id
       WHERE r.role = $1 AND NOT a.disabled AND a.id <> $2`,
      [role, exceptId],
    );
    return row.n;
  }
}

function toRow(row: Record<string, unknown>): AccountRow {
  return {
    id: String(row.id),
    username: String(row.username),
    passwordHash: String(row.password_hash),
    disabled: row.disabled === true,
    sessionsValidAfter: new Date(row.sessions_valid_after as string),
    createdBy: String(row.created_by),
    createdAt: new Date(row.created_at as string).toISOString(),
    updatedAt: new Date(row.updated_at as string).toISOString(),
    roles: row.roles as AccountRole[],
    rowSeq: Number(row.row_seq),
  };
}
