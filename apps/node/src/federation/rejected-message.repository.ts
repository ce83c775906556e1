import { Inject, Injectable, Optional } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { Refusal } from '../common/domain-refusal';
import { queryReturning } from '../common/returning';

/** How much of the refused messages a node keeps. */
export interface RejectedMessageCaps {
  /** Characters of a payload kept as its excerpt. */
  excerptChars: number;
  /** Distinct payloads kept per sender; the oldest are pruned first. */
  perSender: number;
  /** Distinct payloads kept in all; the oldest are pruned first. */
  total: number;
}

export const DEFAULT_REJECTED_MESSAGE_CAPS: RejectedMessageCaps = { excerptChars: 2048, perSender: 1000, total: 10_000 };
export const REJECTED_MESSAGE_CAPS = Symbol('REJECTED_MESSAGE_CAPS');

export interface RejectedMessage {
  /** The child link the message came through (the stream's consumer names it: not the message's word). */
  sender: string;
  claimedOrigin: string | undefined;
  reason: string;
  /** When a catalog rule refused the record: which rule, and its article. */
  refusal?: Pick<Refusal, 'rule' | 'article'>;
  payload: Uint8Array;
}

/**
 * `rejected_message`: what this node refused on receipt, for its operator. Anyone who can publish
 * on a node's inbound subjects decides what lands here, so storage is bounded whatever they send:
 * an excerpt and the SHA-256 and size of the whole payload rather than the payload; the same
 * payload from the same sender again only counts up; and the oldest rows are pruned beyond a cap
 * per sender (one noisy child cannot push out the evidence of the others) and in all.
 */
@Injectable()
export class RejectedMessageRepository {
  constructor(@Optional() @Inject(REJECTED_MESSAGE_CAPS) private readonly caps: RejectedMessageCaps = DEFAULT_REJECTED_MESSAGE_CAPS) {}

  async record(manager: EntityManager, m: RejectedMessage): Promise<void> {
    const payload = Buffer.from(m.payload);
    const sha256 = createHash('sha256').update(payload).digest('hex');
    const about = [
      m.claimedOrigin === undefined ? null : text(m.claimedOrigin, 64),
      text(m.reason, 2000),
      m.refusal ? text(m.refusal.rule, 200) : null,
      m.refusal ? text(m.refusal.article, 200) : null,
    ];
    // A repeat only counts up. Updating first (rather than INSERT ... ON CONFLICT) takes no id from the
    // sequence, so ids stay dense and the cap in all can be kept by id arithmetic (see prune).
    const repeated = await queryReturning<{ id: string }>(
      manager,
      `UPDATE rejected_message SET repeat_count = LEAST(repeat_count::bigint + 1, 2147483647), last_received_at = now(),
         claimed_origin = $3, reason = $4, rule = $5, article = $6
       WHERE sender = $1 AND payload_sha256 = $2 RETURNING id`,
      [m.sender, sha256, ...about],
    );
    if (repeated.length > 0) return;
    // Decode no more than the excerpt can use (4 bytes per character at most): a 1 MB payload costs no 1 MB string.
    const excerpt = payload
      .subarray(0, this.caps.excerptChars * 4)
      .toString('utf8')
      .slice(0, this.caps.excerptChars);
    // ON CONFLICT only for a race with another transaction of the same sender, which one link's worker never runs.
    const [added] = await queryReturning<{ id: string }>(
      manager,
      `INSERT INTO rejected_message (sender, payload_sha256, claimed_origin, reason, rule, article, payload_excerpt, payload_bytes)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (sender, payload_sha256) DO UPDATE SET repeat_count = LEAST(rejected_message.repeat_count::bigint + 1, 2147483647)
       RETURNING id`,
      [m.sender, sha256, ...about, text(excerpt, this.caps.excerptChars), payload.length],
    );
    await this.prune(manager, m.sender, Number(added.id));
  }

  /** Keeps the newest rows (by first receipt) within both caps, after a row was added. */
  private async prune(manager: EntityManager, sender: string, newestId: number): Promise<void> {
    await manager.query(
      `DELETE FROM rejected_message WHERE sender = $1 AND id <= (
         SELECT id FROM rejected_message WHERE sender = $1 ORDER BY id DESC OFFSET $2 LIMIT 1)`,
      [sender, this.caps.perSender],
    );
    // Ids are unique and taken only by new rows, so the rows above newest - total are at most `total`:
    // a walk of the primary key, where counting the newest rows on each insert would cost `total` index entries.
    await manager.query(`DELETE FROM rejected_message WHERE id <= $1`, [newestId - this.caps.total]);
  }
}

/** PostgreSQL text cannot hold NUL: escaped, or a garbage message would fail its batch on every redelivery. */
function text(value: string, max: number): string {
  return value
    .slice(0, max)
    .replace(/\u0000/g, '\\u0000')
    .slice(0, max);
}
