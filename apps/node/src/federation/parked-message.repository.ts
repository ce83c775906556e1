import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { Envelope, PROTOCOL_VERSION } from '@tdx/contracts';
import type { ParkedMessageView } from '@tdx/contracts';

export interface ParkedRecord {
  /** The child link it came through. */
  sender: string;
  origin: string;
  version: number;
  kind: string;
  reason: string;
  envelope: Envelope;
}

export interface ParkedRow {
  id: string;
  sender: string;
  envelope: Envelope;
}

/**
 * `parked_message`: signed records from trusted origins that this release cannot read yet, kept
 * whole (the signed text and signature) so that an upgraded node reads them as if just received.
 * Unlike `rejected_message` nothing here is pruned: only records whose signature verified with a
 * trusted key land here, so anonymous publishers cannot fill it, and what a trusted node signed is
 * never dropped (the gauge tdx_parked_messages alarms instead).
 */
@Injectable()
export class ParkedMessageRepository {
  async park(manager: EntityManager, r: ParkedRecord): Promise<void> {
    const sha256 = createHash('sha256').update(r.envelope.payload).digest('hex');
    await manager.query(
      `INSERT INTO parked_message (sender, origin, protocol_version, kind, reason, payload, sig, payload_sha256, parked_under_version)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (sender, payload_sha256) DO NOTHING`,
      [r.sender, r.origin, r.version, r.kind.replace(/\u0000/g, ''), r.reason, r.envelope.payload, r.envelope.sig, sha256, PROTOCOL_VERSION],
    );
  }

  /**
   * The parked records this release may read, oldest first: those of a protocol version it reads (a
   * newer one waits for the upgrade that brings it; no point opening it before).
   */
  async readable(manager: EntityManager): Promise<ParkedRow[]> {
    const rows = await manager.query<{ id: string; sender: string; payload: string; sig: string }[]>(
      `SELECT id, sender, payload, sig FROM parked_message WHERE protocol_version <= $1 ORDER BY id`,
      [PROTOCOL_VERSION],
    );
    return rows.map((r) => ({ id: String(r.id), sender: r.sender, envelope: { payload: r.payload, sig: r.sig } }));
  }

  /** Holds the row for this transaction; false when it is gone or another transaction holds it. */
  async lock(manager: EntityManager, id: string): Promise<boolean> {
    const rows = await manager.query<unknown[]>(`SELECT id FROM parked_message WHERE id = $1 FOR UPDATE SKIP LOCKED`, [id]);
    return rows.length === 1;
  }

  /** Read again and settled (applied, skipped as stale, or refused): it leaves the parking, in the same transaction. */
  async release(manager: EntityManager, id: string): Promise<void> {
    await manager.query(`DELETE FROM parked_message WHERE id = $1`, [id]);
  }

  /** Read again and still not readable (or its key not known yet): it stays. */
  async attempted(manager: EntityManager, id: string): Promise<void> {
    await manager.query(`UPDATE parked_message SET attempts = LEAST(attempts::bigint + 1, 2147483647), last_attempt_at = now() WHERE id = $1`, [id]);
  }

  async summary(manager: EntityManager): Promise<{ count: number; oldestAt: string | null }> {
    const [row] = await manager.query<{ count: string; oldest: Date | null }[]>(`SELECT count(*) AS count, min(parked_at) AS oldest FROM parked_message`);
    return { count: Number(row.count), oldestAt: row.oldest ? new Date(row.oldest).toISOString() : null };
  }

  /** The newest parked records first, for the operator (without the payload: the reason and header say what it is). */
  async list(manager: EntityManager, limit: number): Promise<ParkedMessageView[]> {
    const rows = await manager.query<Record<string, unknown>[]>(
      `SELECT id, sender, origin, protocol_version, kind, reason, payload_sha256, octet_length(payload) AS bytes, parked_under_version,
              parked_at, attempts, last_attempt_at
       FROM parked_message ORDER BY id DESC LIMIT $1`,
      [limit],
    );
    return rows.map((r) => ({
      id: String(r.id),
      sender: String(r.sender),
      origin: String(r.origin),
      protocolVersion: Number(r.protocol_version),
      kind: String(r.kind),
      reason: String(r.reason),
      payloadSha256: String(r.payload_sha256),
      payloadBytes: Number(r.bytes),
      parkedUnderVersion: Number(r.parked_under_version),
      parkedAt: new Date(r.parked_at as Date).toISOString(),
      attempts: Number(r.attempts),
      lastAttemptAt: r.last_attempt_at ? new Date(r.last_attempt_at as Date).toISOString() : null,
    }));
  }
}
