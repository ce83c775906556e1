import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import type { SignedTrustList, TrustList } from '@tdx/contracts';
import { queryReturning } from '../common/returning';

/** Table trust_list: the newest verified trust list this node holds. */
@Injectable()
export class TrustListRepository {
  async stored(manager: EntityManager): Promise<SignedTrustList | undefined> {
    const rows: SignedTrustList[] = await manager.query(`SELECT payload, sig FROM trust_list WHERE id = 1`);
    return rows[0];
  }

  /** Drops the stored list (an operator's reset, or a list the configured anchor does not verify). */
  async clear(manager: EntityManager): Promise<void> {
    await manager.query(`DELETE FROM trust_list`);
  }

  /** Keeps `list` unless a list issued later (or as late, with a higher version) is stored already; true when kept. */
  async store(manager: EntityManager, list: TrustList, signed: SignedTrustList): Promise<boolean> {
    const rows = await queryReturning<{ version: number }>(
      manager,
      `INSERT INTO trust_list (id, issuer, version, issued_at, expires_at, payload, sig) VALUES (1, $1, $2, $3, $4, $5, $6)
       ON CONFLICT (id) DO UPDATE SET issuer = EXCLUDED.issuer, version = EXCLUDED.version, issued_at = EXCLUDED.issued_at,
         expires_at = EXCLUDED.expires_at, payload = EXCLUDED.payload, sig = EXCLUDED.sig, received_at = now()
         WHERE (trust_list.issued_at, trust_list.version) < (EXCLUDED.issued_at, EXCLUDED.version)
       RETURNING version`,
      [list.issuer, list.version, list.issuedAt, list.expiresAt, signed.payload, signed.sig],
    );
    return rows.length === 1;
  }

  async storedVersion(manager: EntityManager): Promise<number> {
    const [row] = await manager.query(`SELECT coalesce(max(version), 0) AS version FROM trust_list`);
    return Number(row.version);
  }
}
