import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { ChannelRefusal } from '@tdx/contracts';

export interface OutboxMessage {
  seq: string;
  id: string;
  peer: string;
  kind: string;
  body: unknown;
  attempts: number;
}

export interface PeerBacklog {
  peer: string;
  messages: number;
  oldestSeconds: number;
}

/** Delivered messages, and the ids a receiver remembers, are kept this long (then pruned). */
export const CHANNEL_KEEP_DAYS = 90;

/** SQL of `channel_outbox` and `channel_inbox` (see the migration). */
@Injectable()
export class ChannelOutboxRepository {
  async add(manager: EntityManager, m: { id: string; peer: string; kind: string; body: unknown }): Promise<void> {
    await manager.query(`INSERT INTO channel_outbox (id, peer, kind, body) VALUES ($1, $2, $3, $4)`, [m.id, m.peer, m.kind, JSON.stringify(m.body)]);
  }

  /** The peers with a message due now. */
  async duePeers(manager: EntityManager): Promise<string[]> {
    const rows: { peer: string }[] = await manager.query(
      `SELECT DISTINCT peer FROM channel_outbox WHERE delivered_at IS NULL AND refused_at IS NULL AND next_attempt_at <= now()`,
    );
    return rows.map((r) => r.peer);
  }

  /**
   * A peer's undelivered messages in the order they were written, while none of them waits for a
   * retry: a message is never delivered before an earlier one to the same peer (a decision never
   * overtakes its request).
   */
  async nextFor(manager: EntityManager, peer: string, limit: number): Promise<OutboxMessage[]> {
    const rows: { seq: string; id: string; peer: string; kind: string; body: unknown; attempts: number; due: boolean }[] = await manager.query(
      `SELECT seq, id, peer, kind, body, attempts, next_attempt_at <= now() AS due FROM channel_outbox
        WHERE peer = $1 AND delivered_at IS NULL AND refused_at IS NULL ORDER BY seq LIMIT $2`,
      [peer, limit],
    );
    const firstWaiting = rows.findIndex((r) => !r.due);
    return (firstWaiting < 0 ? rows : rows.slice(0, firstWaiting)).map(({ due: _due, ...m }) => m);
  }

  async delivered(manager: EntityManager, seq: string): Promise<void> {
    await manager.query(`UPDATE channel_outbox SET delivered_at = now(), last_error = NULL WHERE seq = $1`, [seq]);
  }

  async refused(manager: EntityManager, seq: string, refusal: ChannelRefusal): Promise<void> {
    await manager.query(`UPDATE channel_outbox SET refused_at = now(), refusal = $2, last_error = $3 WHERE seq = $1`, [
      seq,
      JSON.stringify(refusal),
      refusal.message,
    ]);
  }

  async failed(manager: EntityManager, seq: string, error: string, retryInMs: number): Promise<void> {
    await manager.query(
      `UPDATE channel_outbox SET attempts = attempts + 1, last_error = $2, next_attempt_at = now() + ($3 || ' milliseconds')::interval WHERE seq = $1`,
      [seq, error.slice(0, 2000), String(retryInMs)],
    );
  }

  /** True the first time (sender, id) is seen: the caller applies the message in the same transaction. */
  async firstReceipt(manager: EntityManager, sender: string, id: string, kind: string): Promise<boolean> {
    const rows: unknown[] = await manager.query(`INSERT INTO channel_inbox (sender, id, kind) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING id`, [
      sender,
      id,
      kind,
    ]);
    return rows.length === 1;
  }

  async backlog(manager: EntityManager): Promise<PeerBacklog[]> {
    const rows: { peer: string; messages: string; oldest: number }[] = await manager.query(
      `SELECT peer, count(*) AS messages, extract(epoch FROM now() - min(created_at))::float8 AS oldest
         FROM channel_outbox WHERE delivered_at IS NULL AND refused_at IS NULL GROUP BY peer`,
    );
    return rows.map((r) => ({ peer: r.peer, messages: Number(r.messages), oldestSeconds: Number(r.oldest) }));
  }

  /** Drops delivered or refused messages and remembered ids older than CHANNEL_KEEP_DAYS. */
  async prune(manager: EntityManager): Promise<void> {
    const cutoff = `now() - interval '${CHANNEL_KEEP_DAYS} days'`;
    await manager.query(`DELETE FROM channel_outbox WHERE coalesce(delivered_at, refused_at) < ${cutoff}`);
    await manager.query(`DELETE FROM channel_inbox WHERE received_at < ${cutoff}`);
  }
}
