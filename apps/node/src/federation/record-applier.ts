import { Injectable, Logger } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type { KeyObject } from 'node:crypto';
import type { JsMsg } from '@nats-io/jetstream';
import { EnvelopeError, openEnvelope, publicKeyFromBase64url, verifyEnvelope } from '@tdx/contracts';
import { CatalogEntryRepository } from '../catalog/catalog-entry.repository';
import { InstitutionRepository } from '../institutions/institution.repository';
import { MetricsRegistry } from '../metrics/metrics.registry';
import { LinkStateRepository } from './link-state.repository';
import { ForwardRecord, OutboxRepository } from './outbox.repository';
import { OutboxSignal } from './outbox-signal';
import { attributionProblem } from './record-checks';

type Outcome =
  | { kind: 'applied' }
  | { kind: 'skipped' }
  | { kind: 'rejected'; reason: string }
  | { kind: 'retry'; reason: string };

/** A record whose origin key is not known yet is retried this often before it is refused. */
const MAX_KEY_WAIT_DELIVERIES = 30;
const KEY_WAIT_MS = 2000;

/**
 * Applies a batch of records from one child link in one transaction: verify, apply if newer,
 * queue for this node's parent, record progress. Acks only after commit, so a crash at any
 * point means redelivery, and redelivery is harmless because applying is idempotent.
 */
@Injectable()
export class RecordApplier {
  private readonly logger = new Logger(RecordApplier.name);
  private readonly keys = new Map<string, KeyObject>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly links: LinkStateRepository,
    private readonly entries: CatalogEntryRepository,
    private readonly institutions: InstitutionRepository,
    private readonly outbox: OutboxRepository,
    private readonly signal: OutboxSignal,
    private readonly metrics: MetricsRegistry,
  ) {}

  async applyBatch(child: string, messages: JsMsg[]): Promise<void> {
    let outcomes: Outcome[];
    try {
      outcomes = await this.applyInTransaction(child, messages, false).catch((error: unknown) => {
        // A record the database refuses (a taken resource code, a value outside a CHECK) would fail
        // every redelivery of its batch and hold up the link for good, and the good records with it:
        // apply the batch again with each record on its own savepoint, rejecting only those refused.
        if (!refusedByDatabase(error)) throw error;
        return this.applyInTransaction(child, messages, true);
      });
    } catch (error) {
      const reason = (error as Error).message;
      this.logger.warn(`applying ${messages.length} records from ${child} failed: ${reason}; they will be redelivered`);
      await this.links.recordChildError(this.dataSource.manager, child, reason).catch(() => undefined);
      messages.forEach((m) => m.nak(KEY_WAIT_MS));
      throw error;
    }
    messages.forEach((message, i) => this.settle(message, outcomes[i]));
    this.count(child, outcomes);
    if (outcomes.some((o) => o.kind === 'applied')) this.signal.notify();
  }

  private applyInTransaction(child: string, messages: JsMsg[], isolate: boolean): Promise<Outcome[]> {
    return this.dataSource.transaction(async (manager) => {
      const results: Outcome[] = [];
      // Records to pass on to this node's parent, in order; written with one statement below,
      // still inside the transaction that applies them.
      const forward: ForwardRecord[] = [];
      for (const message of messages) {
        results.push(isolate ? await this.applyIsolated(manager, child, message, forward) : await this.applyOne(manager, child, message, forward));
      }
      await this.outbox.appendForwardMany(manager, forward);
      await this.recordProgress(manager, child, messages, results);
      return results;
    });
  }

  /** applyOne on a savepoint: a record the database refuses is rolled back and rejected alone. */
  private async applyIsolated(manager: EntityManager, child: string, message: JsMsg, forward: ForwardRecord[]): Promise<Outcome> {
    await manager.query('SAVEPOINT apply_record');
    try {
      // applyOne pushes to `forward` only after its last statement, so a refused record leaves nothing there.
      const outcome = await this.applyOne(manager, child, message, forward);
      await manager.query('RELEASE SAVEPOINT apply_record');
      return outcome;
    } catch (error) {
      if (!refusedByDatabase(error)) throw error;
      await manager.query('ROLLBACK TO SAVEPOINT apply_record');
      return this.reject(manager, child, claimedOrigin(message), `the database refused the record: ${(error as Error).message}`, message);
    }
  }

  private async applyOne(manager: EntityManager, child: string, message: JsMsg, forward: ForwardRecord[]): Promise<Outcome> {
    let opened: ReturnType<typeof openEnvelope>;
    try {
      opened = openEnvelope(message.data);
    } catch (error) {
      if (error instanceof EnvelopeError) return this.reject(manager, child, undefined, error.reason, message);
      throw error;
    }
    const { envelope, record } = opened;
    const problem = attributionProblem(record, child);
    if (problem) return this.reject(manager, child, record.origin, problem, message);

    if (record.kind === 'node.join') {
      let key: KeyObject;
      try {
        key = publicKeyFromBase64url(record.body.publicKey);
      } catch {
        return this.reject(manager, child, record.origin, 'join carries a malformed public key', message);
      }
      if (!verifyEnvelope(envelope, key)) return this.reject(manager, child, record.origin, 'join signature does not verify', message);
      const known = await this.links.knownNode(manager, record.origin);
      if (known && known.publicKey !== record.body.publicKey) {
        return this.reject(manager, child, record.origin, `key of ${record.origin} differs from the one recorded`, message);
      }
      if (known) return { kind: 'skipped' };
      await this.links.addKnownNode(manager, record.body, child);
      forward.push({ origin: record.origin, kind: record.kind, envelope });
      return { kind: 'applied' };
    }

    const key = await this.keyOf(manager, record.origin);
    if (!key) {
      return message.info.deliveryCount >= MAX_KEY_WAIT_DELIVERIES
        ? this.reject(manager, child, record.origin, `no key known for origin ${record.origin}`, message)
        : { kind: 'retry', reason: `no key known yet for origin ${record.origin}` };
    }
    if (!verifyEnvelope(envelope, key)) {
      return this.reject(manager, child, record.origin, `signature does not verify with the key of ${record.origin}`, message);
    }
    const applied = record.kind === 'entry.upsert'
      ? await this.entries.applyReplica(manager, record.body)
      : await this.institutions.applyReplica(manager, record.body);
    if (!applied) return { kind: 'skipped' };
    forward.push({ origin: record.origin, kind: record.kind, envelope });
    return { kind: 'applied' };
  }

  private async keyOf(manager: EntityManager, origin: string): Promise<KeyObject | undefined> {
    const cached = this.keys.get(origin);
    if (cached) return cached;
    const known = await this.links.knownNode(manager, origin);
    if (!known) return undefined;
    const key = publicKeyFromBase64url(known.publicKey);
    this.keys.set(origin, key);
    return key;
  }

  private async reject(manager: EntityManager, child: string, origin: string | undefined, reason: string, message: JsMsg): Promise<Outcome> {
    this.logger.warn(`rejected a record from ${child} (claimed origin ${origin ?? 'unknown'}, stream seq ${message.seq}): ${reason}`);
    await this.links.recordRejected(manager, child, origin, reason, Buffer.from(message.data).toString('utf8'));
    return { kind: 'rejected', reason };
  }

  private async recordProgress(manager: EntityManager, child: string, messages: JsMsg[], outcomes: Outcome[]): Promise<void> {
    const last = messages[messages.length - 1];
    let origin = child;
    let originSeq = 0;
    let recordAt = new Date().toISOString();
    try {
      const { record } = openEnvelope(last.data);
      ({ origin, seq: originSeq, at: recordAt } = record);
    } catch {
      // A malformed last message still advances the stream position.
    }
    this.metrics.lagSeconds.set({ child }, Math.max(0, (Date.now() - Date.parse(recordAt)) / 1000));
    await this.links.recordBatch(manager, child, {
      streamSeq: last.seq, origin, originSeq, recordAt,
      applied: outcomes.filter((o) => o.kind === 'applied').length,
      skipped: outcomes.filter((o) => o.kind === 'skipped').length,
      rejected: outcomes.filter((o) => o.kind === 'rejected').length,
    });
    const lastError = [...outcomes].reverse().find((o): o is Extract<Outcome, { reason: string }> => 'reason' in o);
    if (lastError) await this.links.recordChildError(manager, child, lastError.reason);
  }

  private settle(message: JsMsg, outcome: Outcome): void {
    if (outcome.kind === 'retry') message.nak(KEY_WAIT_MS);
    // No reason on the term: nats-server 2.9 (Debian's) only knows a bare "+TERM" and ignores
    // "+TERM <reason>", so a rejected record would come back every ack_wait, be rejected and
    // logged again forever, and never leave the work-queue stream. The reason is in rejected_message.
    else if (outcome.kind === 'rejected') message.term();
    else message.ack();
  }

  private count(child: string, outcomes: Outcome[]): void {
    for (const outcome of outcomes) {
      this.metrics.records.inc({ child, outcome: outcome.kind });
    }
  }
}

/** SQLSTATE class 22 (data exception) or 23 (integrity constraint violation): retrying the record cannot help. */
function refusedByDatabase(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^2[23]/.test(code);
}

function claimedOrigin(message: JsMsg): string | undefined {
  try {
    return openEnvelope(message.data).record.origin;
  } catch {
    return undefined;
  }
}
