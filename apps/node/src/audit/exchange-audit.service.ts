import { Inject, Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { openEnvelope } from '@tdx/contracts';
import { NODE_CONFIG, NodeRuntimeConfig } from '../config/node-config';
import { AuditEvent, AuditLog } from './audit-log.service';

/** How a batch's records ended, as the record applier counts them. */
export interface BatchOutcome {
  kind: string;
  reason?: string;
}

/** Reasons kept per batch record at most: enough to see what went wrong, never a flood. */
const MAX_REASONS = 5;

/**
 * The audit records of exchanges between nodes, one per exchange (a join, a replication batch, a
 * return request, a chunk), never one per change: replication runs at thousands of changes a
 * second. The actor is the other node (`node:<code>`), or this node for what it sends.
 */
@Injectable()
export class ExchangeAudit {
  private readonly logger = new Logger('Audit');
  // The last answer recorded per peer, so that retries meeting the same answer are not recorded again.
  private readonly lastJoinAnswered = new Map<string, string>();
  private readonly lastJoinReply = new Map<string, string>();
  private readonly lastRefusal = new Map<string, string>();

  constructor(@Inject(NODE_CONFIG) private readonly config: NodeRuntimeConfig, private readonly log: AuditLog) {}

  /**
   * At the parent: a child's join and the answer it got, recorded right after the answer. A child
   * asks again every few seconds while its join waits for an operator: only a change of answer per
   * child and key is recorded.
   */
  joinAnswered(request: Uint8Array, answer: { ok: boolean; reason?: string; pending?: boolean }): void {
    let claimed: { code?: string; publicKey?: string } = {};
    try {
      const { record } = openEnvelope(request);
      if (record.kind === 'node.join') claimed = { code: record.body.code, publicKey: record.body.publicKey };
    } catch {
      // A malformed join is recorded too, by what little can be told of it.
    }
    const outcome = answer.ok ? 'accepted' : answer.pending ? 'pending' : 'refused';
    // Per code and key: two keys asking for one code (a squatter beside the genuine node) do not each record every turn.
    if (!this.changed(this.lastJoinAnswered, `${claimed.code ?? 'unknown'}:${claimed.publicKey ?? ''}`, `${outcome}:${answer.reason ?? ''}`)) return;
    this.detach({
      actor: claimed.code ? `node:${claimed.code}` : 'node:unknown',
      action: 'federation.join',
      target: this.config.code,
      outcome,
      details: { ...(claimed.publicKey ? { publicKey: claimed.publicKey } : {}), ...(answer.ok ? {} : { reason: answer.reason ?? null }) },
    });
  }

  /**
   * At the child: its parent's answer to its join. A refused join is retried every few seconds:
   * only a change of answer is recorded, so the log shows the refusal once, not a flood.
   */
  async joinReplied(parent: string, answer: { ok: boolean; reason?: string; pending?: boolean }): Promise<void> {
    const outcome = answer.ok ? 'accepted' : answer.pending ? 'pending' : 'refused';
    if (!this.changed(this.lastJoinReply, parent, `${outcome}:${answer.reason ?? ''}`)) return;
    await this.log.append({
      actor: `node:${parent}`, action: 'federation.join.answer', target: this.config.code,
      outcome, details: answer.ok ? {} : { reason: answer.reason ?? null },
    }).catch((error) => this.failed('join answer', error));
  }

  /** A trust list version this node adopted: issued here (the province) or received from its parent. */
  async trustListAdopted(list: { version: number; issuer: string; expiresAt: string; nodes: unknown[] }, from: string | null): Promise<void> {
    await this.log.append({
      actor: `node:${from ?? this.config.code}`, action: from ? 'trust.list.received' : 'trust.list.issued', target: String(list.version),
      outcome: 'adopted', details: { issuer: list.issuer, nodes: list.nodes.length, expiresAt: list.expiresAt },
    }).catch((error) => this.failed('trust list', error));
  }

  /** At the parent, inside the batch's transaction: what one child's batch did. */
  async batchReceived(manager: EntityManager, child: string, streamSeqs: number[], outcomes: BatchOutcome[]): Promise<void> {
    const count = (kind: string) => outcomes.filter((o) => o.kind === kind).length;
    const counts = { applied: count('applied'), skipped: count('skipped'), rejected: count('rejected'), retried: count('retry') };
    const reasons = [...new Set(outcomes.filter((o) => o.kind === 'rejected' && o.reason).map((o) => o.reason as string))].slice(0, MAX_REASONS);
    await this.log.append({
      actor: `node:${child}`, action: 'replication.batch', target: this.config.code,
      outcome: counts.rejected > 0 ? 'rejected' : counts.retried > 0 ? 'deferred' : 'applied',
      details: { records: outcomes.length, ...counts, streamSeqs: span(streamSeqs), ...(reasons.length ? { reasons } : {}) },
    }, manager);
  }

  /** At the child, inside the transaction that removes them from the outbox: records the parent's stream acknowledged. */
  async batchSent(manager: EntityManager, parent: string, outboxSeqs: (number | string)[]): Promise<void> {
    await this.log.append({
      actor: `node:${this.config.code}`, action: 'replication.sent', target: parent, outcome: 'acknowledged',
      details: { records: outboxSeqs.length, outboxSeqs: span(outboxSeqs.map(Number)) },
    }, manager);
  }

  /** At the holder, inside the transaction that stores it: a return request received and how it was decided (Article 10). */
  async returnRequestReceived(manager: EntityManager, requester: string,
    request: { id: string; entryId: string; scope: string; state: string; reason?: string | null }): Promise<void> {
    await this.log.append({
      actor: `node:${requester}`, action: 'return.request', target: request.id, outcome: request.state,
      details: { entryId: request.entryId, scope: request.scope, ...(request.reason ? { reason: request.reason } : {}) },
    }, manager);
  }

  /**
   * At the holder, right after the pull recorded what it sent: rows sent to a requester. A pull that finds
   * nothing new (a realtime entry is asked every few seconds) sends no data and is not recorded.
   */
  async returnChunkServed(manager: EntityManager | undefined, requester: string, requestId: string, chunk: { rows: number; after: number; through: number }): Promise<void> {
    if (chunk.rows === 0) return;
    await this.record({
      actor: `node:${requester}`, action: 'return.chunk.served', target: requestId, outcome: 'sent',
      details: { rows: chunk.rows, after: chunk.after, through: chunk.through },
    }, manager);
  }

  /** At the receiver, right after the transaction that applied them: rows received from the holder. */
  async returnChunkReceived(manager: EntityManager | undefined, holder: string, requestId: string, chunk: { rows: number; after: number; through: number }): Promise<void> {
    if (chunk.rows === 0) return;
    await this.record({
      actor: `node:${holder}`, action: 'return.chunk.received', target: requestId, outcome: 'applied',
      details: { rows: chunk.rows, after: chunk.after, through: chunk.through },
    }, manager);
  }

  /** At the requester: the holder's decision on a request, recorded when the mirrored state changes. */
  returnDecisionLearnt(holder: string, requestId: string, state: string, reason: string | null): void {
    this.detach({ actor: `node:${holder}`, action: 'return.decision', target: requestId, outcome: state, details: reason ? { reason } : {} });
  }

  /**
   * At the holder: a return message refused (unknown or forged sender, no grant, bad input). A
   * requester retries with back-off, so only a change of refusal per sender is recorded.
   */
  returnRefused(from: string | undefined, kind: string | undefined, status: number, message: string): void {
    if (status >= 500) return; // the holder's own trouble (retried), not a refusal
    const sender = from ?? 'unknown';
    if (!this.changed(this.lastRefusal, sender, `${kind}:${status}:${message}`)) return;
    this.detach({ actor: `node:${sender}`, action: 'return.refused', target: this.config.code, outcome: String(status), details: { kind: kind ?? null, message } });
  }

  /** Whether `key`'s answer differs from the last one recorded for it (and remembers it). */
  private changed(last: Map<string, string>, key: string, answer: string): boolean {
    if (last.get(key) === answer) return false;
    if (last.size >= 1000) last.clear(); // keys named by forged messages must not grow it without end
    last.set(key, answer);
    return true;
  }

  /**
   * Inside the caller's transaction a failure fails the transaction (action and record go
   * together); after it, the exchange has happened and stands, and a failure to record it is logged.
   */
  private async record(event: AuditEvent, manager: EntityManager | undefined): Promise<void> {
    if (manager?.queryRunner?.isTransactionActive) {
      await this.log.append(event, manager);
      return;
    }
    await this.log.append(event).catch((error) => this.failed(event.action, error));
  }

  /** An exchange recorded outside any transaction: the caller does not wait, a failure is logged. */
  private detach(event: AuditEvent): void {
    void this.log.append(event).catch((error) => this.failed(event.action, error));
  }

  private failed(what: string, error: unknown): void {
    this.logger.error(`could not record ${what} in the audit log: ${(error as Error).message}`);
  }
}

/** First and last of a run of numbers, as `[first, last]`. */
function span(seqs: number[]): [number, number] | null {
  return seqs.length === 0 ? null : [Math.min(...seqs), Math.max(...seqs)];
}
