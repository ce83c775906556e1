import { Inject, Injectable, Logger } from '@nestjs/common';
import { NODE_CONFIG, NodeRuntimeConfig } from '../config/node-config';
import { DataSource, EntityManager } from 'typeorm';
import { isWithin } from '@tdx/divisions';
import { encodeEnvelope, Envelope, EnvelopeError, openEnvelope, ReplicationRecord, UnreadableRecordError, verifyEnvelope } from '@tdx/contracts';
import { CatalogEntryRepository } from '../catalog/catalog-entry.repository';
import { InstitutionRepository } from '../institutions/institution.repository';
import { MetricsRegistry } from '../metrics/metrics.registry';
import { LinkStateRepository } from './link-state.repository';
import { ForwardRecord, OutboxRepository } from '../outbox/outbox.repository';
import { LeaseLost } from '../leases/worker-leases';
import { OutboxSignal } from '../outbox/outbox-signal';
import { attributionProblem } from './record-checks';
import { ExchangeAudit } from '../audit/exchange-audit.service';
import { batchReceived, parkedReread } from './link-audit';
import { TrustListService } from '../identity/trust-list.service';
import { NodeAdmissionService } from '../identity/node-admission.service';
import { FORWARDED_JOIN_PROBLEM } from '../identity/identity-checks';
import { providerNeverArrived, ReplicaRules } from './replica-rules';
import { RejectedMessageRepository } from './rejected-message.repository';
import { SupervisionStateRepository } from '../supervision/supervision-state.repository';
import { ParkedMessageRepository, ParkedRow } from './parked-message.repository';
import type { Refusal } from '../common/domain-refusal';

/** Refuses, in the transaction given, once this replica no longer holds the work (leases/). */
type Fence = (manager: EntityManager) => Promise<void>;

type Outcome =
  | { kind: 'applied' }
  | { kind: 'skipped' }
  | { kind: 'rejected'; reason: string }
  | { kind: 'retry'; reason: string }
  /** Signed by a trusted origin but not readable by this release: kept whole in parked_message, acknowledged. */
  | { kind: 'parked'; reason: string };

/**
 * What the applier needs of a received message: a JetStream message from a child link, or a parked
 * record read again (which has no stream position and settles in its own transaction).
 */
export interface InboundRecord {
  data: Uint8Array;
  seq: number;
  timestamp: string;
  info: { deliveryCount: number };
  ack(): void;
  nak(millis?: number): void;
  term(): void;
}

type StateKind = 'entry.upsert' | 'institution.upsert' | 'supervision.state';

/** A record whose attribution and signature checked out, waiting to be applied. */
interface Verified<K extends StateKind = StateKind> {
  kind: 'verified';
  record: Extract<ReplicationRecord, { kind: K }>;
  envelope: Envelope;
}

/** A record whose origin key is not known yet is retried this often before it is refused. */
const MAX_KEY_WAIT_DELIVERIES = 30;
const KEY_WAIT_MS = 2000;
/**
 * An entry whose provider is not known yet is retried this often (at least 2 s apart) before it is
 * refused. Its institution's record precedes it in the origin's outbox, so it only lags behind after a
 * redelivery: a nak (2 s) or a crash (the consumer's ack_wait, 10 s). Ten deliveries outlast both.
 */
const MAX_PROVIDER_WAIT_DELIVERIES = 10;

/**
 * Applies a batch of records from one child link in one transaction: verify, apply if newer,
 * queue for this node's parent, record progress. Acks only after commit, so a crash at any
 * point means redelivery, and redelivery is harmless because applying is idempotent.
 */
@Injectable()
export class RecordApplier {
  private readonly logger = new Logger(RecordApplier.name);
  private joinsApplied = false;

  constructor(
    @Inject(NODE_CONFIG) private readonly config: NodeRuntimeConfig,
    private readonly dataSource: DataSource,
    private readonly links: LinkStateRepository,
    private readonly entries: CatalogEntryRepository,
    private readonly institutions: InstitutionRepository,
    private readonly outbox: OutboxRepository,
    private readonly signal: OutboxSignal,
    private readonly metrics: MetricsRegistry,
    private readonly audit: ExchangeAudit,
    private readonly trust: TrustListService,
    private readonly admission: NodeAdmissionService,
    private readonly replicaRules: ReplicaRules,
    private readonly rejected: RejectedMessageRepository,
    private readonly parked: ParkedMessageRepository,
    private readonly supervision: SupervisionStateRepository,
  ) {}

  /** `fence`, first in the batch's transaction, refuses to commit once this replica no longer holds the link. */
  async applyBatch(child: string, messages: InboundRecord[], fence?: Fence): Promise<void> {
    let outcomes: Outcome[];
    try {
      outcomes = await this.applyInTransaction(child, messages, false, fence).catch((error: unknown) => {
        // A record the database refuses (a taken resource code, a value outside a CHECK) would fail
        // every redelivery of its batch and hold up the link for good, and the good records with it:
        // apply the batch again with each record on its own savepoint, rejecting only those refused.
        if (!refusedByDatabase(error)) throw error;
        return this.applyInTransaction(child, messages, true, fence);
      });
    } catch (error) {
      if (error instanceof LeaseLost) {
        // Another replica took the link over: nothing was applied here, it applies them.
        messages.forEach((m) => m.nak());
        throw error;
      }
      const reason = (error as Error).message;
      this.logger.warn(`applying ${messages.length} records from ${child} failed: ${reason}; they will be redelivered`);
      await this.links.recordChildError(this.dataSource.manager, child, reason).catch(() => undefined);
      messages.forEach((m) => m.nak(KEY_WAIT_MS));
      throw error;
    }
    messages.forEach((message, i) => this.settle(message, outcomes[i]));
    this.count(child, outcomes);
    if (this.joinsApplied) {
      this.joinsApplied = false;
      this.trust.nodesChanged();
    }
    if (outcomes.some((o) => o.kind === 'applied')) this.signal.notify();
  }

  /**
   * Reads the parked records again (after an upgrade, or once the trust list is there): each one this
   * release now reads is applied, skipped or refused like a record just received, and leaves the
   * parking in the same transaction; the others stay. Answers how many left.
   */
  async rereadParked(): Promise<{ released: number; kept: number }> {
    let released = 0;
    let kept = 0;
    for (const row of await this.parked.readable(this.dataSource.manager)) {
      const message = parkedAsMessage(row);
      const run = (isolate: boolean) => this.applyInTransaction(row.sender, [message], isolate, undefined, row);
      const outcomes = await run(false).catch((error: unknown) => {
        if (!refusedByDatabase(error)) throw error;
        return run(true);
      });
      if (outcomes === undefined) continue; // another replica holds it
      const [outcome] = outcomes;
      if (outcome.kind === 'retry' || outcome.kind === 'parked') kept++;
      else released++;
      this.count(row.sender, outcomes);
      if (outcome.kind === 'applied') this.signal.notify();
    }
    if (this.joinsApplied) {
      this.joinsApplied = false;
      this.trust.nodesChanged();
    }
    return { released, kept };
  }

  private applyInTransaction(child: string, messages: InboundRecord[], isolate: boolean, fence?: Fence): Promise<Outcome[]>;
  private applyInTransaction(
    child: string,
    messages: InboundRecord[],
    isolate: boolean,
    fence: Fence | undefined,
    parked: ParkedRow,
  ): Promise<Outcome[] | undefined>;
  private applyInTransaction(child: string, messages: InboundRecord[], isolate: boolean, fence?: Fence, parked?: ParkedRow): Promise<Outcome[] | undefined> {
    return this.dataSource.transaction(async (manager) => {
      await fence?.(manager);
      // A parked record is read again by one transaction at a time (several replicas may start at once).
      if (parked && !(await this.parked.lock(manager, parked.id))) return undefined;
      // Records to pass on to this node's parent, by position in the batch; written in that
      // order with one statement, still inside the transaction that applies them.
      const forward = new Map<number, ForwardRecord>();
      const outcomes = isolate ? await this.applyEachIsolated(manager, child, messages, forward) : await this.applyAllAtOnce(manager, child, messages, forward);
      await this.outbox.appendForwardMany(
        manager,
        [...forward.entries()].sort(([a], [b]) => a - b).map(([, record]) => record),
      );
      if (parked) {
        // Still unreadable, or waiting (a key, a provider): it stays parked; otherwise it is settled and leaves.
        const stays = outcomes[0].kind === 'parked' || outcomes[0].kind === 'retry';
        await (stays ? this.parked.attempted(manager, parked.id) : this.parked.release(manager, parked.id));
        await this.audit.record(parkedReread(this.config.code, child, parked.id, outcomes[0]), manager);
        return outcomes;
      }
      await this.recordProgress(manager, child, messages, outcomes);
      // Last in the transaction (it holds the audit head until commit): one record per batch, atomic with it.
      await this.audit.record(
        batchReceived(
          this.config.code,
          child,
          messages.map((m) => m.seq),
          outcomes,
        ),
        manager,
      );
      return outcomes;
    });
  }

  /** The usual path: every entry of the batch upserted by one statement. */
  private async applyAllAtOnce(manager: EntityManager, child: string, messages: InboundRecord[], forward: Map<number, ForwardRecord>): Promise<Outcome[]> {
    const outcomes: Outcome[] = [];
    const entries: { index: number; verified: Verified<'entry.upsert'> }[] = [];
    for (const [index, message] of messages.entries()) {
      const checked = await this.check(manager, child, message, index, forward);
      if (checked.kind !== 'verified') {
        outcomes.push(checked);
      } else if (checked.record.kind === 'entry.upsert') {
        entries.push({ index, verified: checked as Verified<'entry.upsert'> });
        outcomes.push({ kind: 'skipped' }); // until the upsert below says otherwise
      } else {
        outcomes.push(await this.applyVerified(manager, checked, index, forward));
      }
    }
    const applied = await this.entries.applyReplicas(
      manager,
      entries.map(({ verified }) => verified.record.body),
    );
    for (const { index, verified } of entries) {
      // delete(): a copy of the same version later in the batch counts as skipped, not applied twice.
      if (applied.delete(`${verified.record.body.id}:${verified.record.body.version}`)) {
        outcomes[index] = { kind: 'applied' };
        forward.set(index, { origin: verified.record.origin, kind: verified.record.kind, envelope: verified.envelope });
      }
    }
    return outcomes;
  }

  /** The fallback after the database refused the batch: each record on its own savepoint, refused ones rejected alone. */
  private async applyEachIsolated(manager: EntityManager, child: string, messages: InboundRecord[], forward: Map<number, ForwardRecord>): Promise<Outcome[]> {
    const outcomes: Outcome[] = [];
    for (const [index, message] of messages.entries()) {
      await manager.query('SAVEPOINT apply_record');
      try {
        // Both steps add to `forward` only after their last statement, so a refused record leaves nothing there.
        const checked = await this.check(manager, child, message, index, forward);
        outcomes.push(checked.kind === 'verified' ? await this.applyVerified(manager, checked, index, forward) : checked);
        await manager.query('RELEASE SAVEPOINT apply_record');
      } catch (error) {
        if (!refusedByDatabase(error)) throw error;
        await manager.query('ROLLBACK TO SAVEPOINT apply_record');
        outcomes.push(await this.reject(manager, child, claimedOrigin(message), `the database refused the record: ${(error as Error).message}`, message));
      }
    }
    return outcomes;
  }

  /**
   * Everything but the upsert: parse, attribution, signature. A parent's approval or revocation of
   * a node is applied here at once, in batch order.
   */
  private async check(
    manager: EntityManager,
    child: string,
    message: InboundRecord,
    index: number,
    forward: Map<number, ForwardRecord>,
  ): Promise<Outcome | Verified> {
    let opened: ReturnType<typeof openEnvelope>;
    try {
      opened = openEnvelope(message.data);
    } catch (error) {
      if (error instanceof UnreadableRecordError) return this.parkIfAuthentic(manager, child, error, message);
      if (error instanceof EnvelopeError) return this.reject(manager, child, undefined, error.reason, message);
      throw error;
    }
    const { envelope, record } = opened;
    const problem = attributionProblem(record, child);
    if (problem) return this.reject(manager, child, record.origin, problem, message);

    // Never reached (attribution refuses a join in the stream); here so the types know it.
    if (record.kind === 'node.join') return this.reject(manager, child, record.origin, FORWARDED_JOIN_PROBLEM, message);
    const unauthentic = await this.authenticate(manager, child, record.origin, envelope, message);
    if (unauthentic) return unauthentic;
    if (record.kind === 'node.approval' || record.kind === 'node.revocation') {
      // Signed by the node's parent with the key the trust list names for it: the word an ancestor admits (or drops) a node on.
      const outcome =
        record.kind === 'node.approval'
          ? await this.admission.applyApproval(manager, child, record.seq, record.body, envelope)
          : await this.admission.applyRevocation(manager, record.seq, record.body);
      if (outcome.kind === 'rejected') return this.reject(manager, child, record.origin, outcome.reason, message);
      if (outcome.kind === 'applied') {
        forward.set(index, { origin: record.origin, kind: record.kind, envelope });
        this.joinsApplied = true;
      }
      return outcome;
    }
    if (record.kind === 'entry.upsert') {
      const refused = await this.catalogRuleOutcome(manager, child, record, message);
      if (refused) return refused;
    }
    return { kind: 'verified', record, envelope };
  }

  /**
   * Is `envelope` signed by `origin` with a key this node trusts now, and may `child` pass on its
   * records? Undefined if so, else the refusal, or a retry while the key may still come.
   */
  private async authenticate(manager: EntityManager, child: string, origin: string, envelope: Envelope, message: InboundRecord): Promise<Outcome | undefined> {
    const refused = [child, origin].find((code) => this.admission.isRefusedHere(code));
    if (refused) return this.reject(manager, child, origin, `${refused} is revoked at this node`, message);
    const trusted = this.trust.keyOf(origin);
    if (trusted.kind === 'untrusted') {
      // Fail closed, but never give up: the records wait in the stream until a valid list arrives.
      return { kind: 'retry', reason: trusted.reason };
    }
    if (trusted.kind === 'removed') return this.reject(manager, child, origin, trusted.reason, message);
    if (trusted.kind === 'unlisted') {
      return message.info.deliveryCount >= MAX_KEY_WAIT_DELIVERIES
        ? this.reject(manager, child, origin, `no trusted key for origin ${origin}: ${trusted.reason}`, message)
        : { kind: 'retry', reason: `no trusted key yet for origin ${origin} (${trusted.reason})` };
    }
    if (!trusted.keys.some((key) => verifyEnvelope(envelope, key))) {
      return this.reject(manager, child, origin, `signature does not verify with the key of ${origin}`, message);
    }
    return undefined;
  }

  /**
   * A record this release cannot read (a newer protocol version, an unknown kind). Signed by a
   * trusted origin inside the child's subtree, it is parked whole: neither applied (this node cannot
   * check it against the rules) nor forwarded (the parent sees it once this node, upgraded, reads
   * it), nor lost. Anything else is refused like any record that fails these checks.
   */
  private async parkIfAuthentic(manager: EntityManager, child: string, unreadable: UnreadableRecordError, message: InboundRecord): Promise<Outcome> {
    const { origin, envelope, version, kind, reason } = unreadable;
    if (!isWithin(origin, child)) return this.reject(manager, child, origin, `origin ${origin} lies outside the subtree of sender ${child}`, message);
    const unauthentic = await this.authenticate(manager, child, origin, envelope, message);
    if (unauthentic) return unauthentic;
    await this.parked.park(manager, { sender: child, origin, version, kind, reason, envelope });
    this.logger.warn(`parked a record from ${child} (origin ${origin}, kind ${kind || 'none'}, protocol version ${version}): ${reason}`);
    return { kind: 'parked', reason: `parked: ${reason}` };
  }

  /**
   * The catalog rules of the origin, applied again to a signed entry version (a key can be stolen;
   * an origin can run a broken release). An unknown provider waits like an unknown key: its
   * institution's record comes first in the origin's outbox but may be redelivered later.
   */
  private async catalogRuleOutcome(
    manager: EntityManager,
    child: string,
    record: Extract<ReplicationRecord, { kind: 'entry.upsert' }>,
    message: InboundRecord,
  ): Promise<Outcome | undefined> {
    const verdict = await this.replicaRules.verdict(manager, record.body);
    if (verdict.kind === 'ok') return undefined;
    if (verdict.kind === 'wait' && message.info.deliveryCount < MAX_PROVIDER_WAIT_DELIVERIES) return { kind: 'retry', reason: verdict.reason };
    const refusals = verdict.kind === 'refused' ? verdict.refusals : [providerNeverArrived(record.body)];
    const reason = refusals.map((r) => `${r.rule} (${r.article}): ${r.message}`).join('; ');
    return this.reject(manager, child, record.origin, reason, message, refusals[0]);
  }

  /** Applies one verified record by itself. */
  private async applyVerified(manager: EntityManager, verified: Verified, index: number, forward: Map<number, ForwardRecord>): Promise<Outcome> {
    const { record, envelope } = verified;
    const applied =
      record.kind === 'entry.upsert'
        ? (await this.entries.applyReplicas(manager, [record.body])).size === 1
        : record.kind === 'supervision.state'
          ? await this.supervision.upsert(manager, record.body, envelope)
          : await this.institutions.applyReplica(manager, record.body);
    if (!applied) return { kind: 'skipped' };
    forward.set(index, { origin: record.origin, kind: record.kind, envelope });
    return { kind: 'applied' };
  }

  private async reject(
    manager: EntityManager,
    child: string,
    origin: string | undefined,
    reason: string,
    message: InboundRecord,
    refusal?: Refusal,
  ): Promise<Outcome> {
    this.logger.warn(`rejected a record from ${child} (claimed origin ${origin ?? 'unknown'}, stream seq ${message.seq}): ${reason}`);
    await this.rejected.record(manager, { sender: child, claimedOrigin: origin, reason, refusal, payload: message.data });
    return { kind: 'rejected', reason };
  }

  private async recordProgress(manager: EntityManager, child: string, messages: InboundRecord[], outcomes: Outcome[]): Promise<void> {
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
      streamSeq: last.seq,
      storedAt: storedAt(last),
      origin,
      originSeq,
      recordAt,
      applied: outcomes.filter((o) => o.kind === 'applied').length,
      skipped: outcomes.filter((o) => o.kind === 'skipped').length,
      rejected: outcomes.filter((o) => o.kind === 'rejected').length,
    });
    const lastError = [...outcomes].reverse().find((o): o is Extract<Outcome, { reason: string }> => 'reason' in o);
    if (lastError) await this.links.recordChildError(manager, child, lastError.reason);
  }

  private settle(message: InboundRecord, outcome: Outcome): void {
    if (outcome.kind === 'retry') message.nak(KEY_WAIT_MS);
    // A parked record is committed in parked_message: the stream need not keep it.
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

/** When the stream stored `message` (the child published it then); now if the server did not say. */
function storedAt(message: InboundRecord): string {
  const at = Date.parse(message.timestamp);
  return new Date(Number.isNaN(at) ? Date.now() : at).toISOString();
}

function claimedOrigin(message: InboundRecord): string | undefined {
  try {
    return openEnvelope(message.data).record.origin;
  } catch {
    return undefined;
  }
}

/** A parked record as the applier reads a received one: delivered once, so a key or provider not known yet keeps it parked. */
function parkedAsMessage(row: ParkedRow): InboundRecord {
  return {
    data: encodeEnvelope(row.envelope),
    seq: 0,
    timestamp: new Date().toISOString(),
    info: { deliveryCount: 1 },
    ack: () => undefined,
    nak: () => undefined,
    term: () => undefined,
  };
}
