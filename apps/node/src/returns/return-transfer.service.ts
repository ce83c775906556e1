import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { randomUUID } from 'node:crypto';
import { RETURN_FINAL_STATES, ReturnChunk, ReturnErrorBody, ReturnPlan, returnJurisdiction, ReturnRequestState, sha256Hex, UpdateCycle } from '@tdx/contracts';
import { NODE_CONFIG, NodeRuntimeConfig } from '../config/node-config';
import { Backoff } from '../common/backoff';
import { sleep } from '../common/sleep';
import { Wakeup } from '../common/wakeup';
import { RequestRow, ReturnRequestRepository } from './return-request.repository';
import { JobRow, ReturnJobRepository } from './return-job.repository';
import { ReturnWire, WireError } from './return-wire';
import { ChunkRefused } from './return-chunk';
import { ReturnedRowsWriter } from './returned-rows.writer';
import { ExchangeAudit } from '../audit/exchange-audit.service';
import { returnChunkReceived, returnDecisionLearnt, returnEndLearnt } from './return-audit';
import { ReturnedRowRepository } from './returned-row.repository';
import { ReturnMetrics } from './return-metrics';
import { DomainRefusal } from '../common/domain-refusal';
import { LeaseTerm, WorkerLeases } from '../leases/worker-leases';

/** The lease of the return scheduler (transfers and re-syncs): one replica of this node runs them. */
const RETURN_SCHEDULER_LEASE = 'return-scheduler';

const TICK_MS = 1000;
const PULL_TIMEOUT_MS = 15_000;
/**
 * A failing job waits 500 ms, then twice as long after each failure in a row, up to 5 minutes; an
 * attempt that landed rows before failing starts the doubling over. A holder that is away for a
 * day costs its receivers a few hundred attempts, not one a second.
 */
const FIRST_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 300_000;
/**
 * Ranges pulled ahead of the one being written: the holder reads and masks the next while its
 * last answer waits for its audit record's commit and the receiver writes. More is slower on two
 * cores (CPU per row landed rose from 49 to 61 and 77 µs with three and five ranges written at
 * once): the busy processes then only take CPU from each other.
 */
const PULLS_AHEAD = 2;
/**
 * Pulled ranges written at once, each in its own transaction: while the database copies one
 * chunk's rows, the node checks the next. Written one at a time, the receiving node and its
 * database took turns, and 15 % of the machine's two cores stood idle during a return to a city.
 */
const WRITES_AT_ONCE = 2;

/** How often a granted return is re-synced, by the entry's update cycle; irregular: on demand only. */
export const RESYNC_INTERVAL_MS: Record<UpdateCycle, number | null> = {
  realtime: 5_000,
  daily: 86_400_000,
  weekly: 7 * 86_400_000,
  monthly: 30 * 86_400_000,
  quarterly: 91 * 86_400_000,
  yearly: 365 * 86_400_000,
  irregular: null,
};

/** The holder refused in a way retrying cannot change (grant gone, entry retired): the job fails. */
export class PermanentRefusal extends Error {}

/**
 * The receiving side: learns the holder's decisions, runs transfer jobs (pulling signed chunks,
 * verifying and applying each in one transaction with the job's cursor), and schedules re-syncs.
 * Everything it needs to resume is in the database: after a crash it carries on from the last
 * committed chunk, and a failure is retried with back-off, forever.
 */
@Injectable()
export class ReturnTransferService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ReturnTransfer');
  private readonly runners = new Map<string, Promise<void>>();
  private readonly wakeup = new Wakeup();
  private running = false;
  private term: LeaseTerm | undefined;
  private loop: Promise<void> | undefined;
  private lastStatusPoll = 0;
  /** Requests whose scheduled check for changes is under way (a check runs beside the tick, not in it). */
  private readonly checking = new Set<string>();

  constructor(
    @Inject(NODE_CONFIG) private readonly config: NodeRuntimeConfig,
    private readonly dataSource: DataSource,
    private readonly requests: ReturnRequestRepository,
    private readonly jobs: ReturnJobRepository,
    private readonly wire: ReturnWire,
    private readonly writer: ReturnedRowsWriter,
    private readonly audit: ExchangeAudit,
    private readonly returnedRows: ReturnedRowRepository,
    private readonly metrics: ReturnMetrics,
    private readonly leases: WorkerLeases,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.parentCode) return; // a province has no ancestor to receive from
    this.running = true;
    this.loop = this.run();
  }

  async onApplicationShutdown(): Promise<void> {
    this.running = false;
    this.wakeup.signal();
    await this.loop;
    await Promise.all(this.runners.values());
  }

  /** Something changed (a grant learnt, a sync asked for): look now rather than at the next tick. */
  poke(): void {
    this.wakeup.signal();
  }

  /** Asks the holder for the request's current state and mirrors it. */
  async refresh(request: Pick<RequestRow, 'id' | 'holder'>, timeoutMs = 3000): Promise<ReturnRequestState | undefined> {
    const { message } = await this.wire.ask(request.holder, 'return.status', { id: request.id }, timeoutMs);
    // The holder's refusal, answered to the operator as the holder gave it.
    if (message.kind === 'return.error') throw DomainRefusal.fromWire(message.body);
    if (message.kind !== 'return.state' || message.body.id !== request.id) throw new WireError('unexpected answer to a status query');
    await this.settle(request, message.body);
    return message.body;
  }

  /**
   * Takes over the holder's answer about a request. When it says the request ended (withdrawn,
   * revoked, ended), its job in flight is cancelled and nothing more is scheduled; the rows held
   * stay, except after a revocation, which removes them (docs/operator-guide.md, "Ending a return").
   */
  async settle(request: Pick<RequestRow, 'id' | 'holder'>, state: ReturnRequestState): Promise<void> {
    const before = await this.requests.mirror(this.dataSource.manager, state);
    if (before === undefined || before === state.state) return;
    this.logger.log(`return request ${request.id} at ${request.holder} is now ${state.state}${state.reason ? `: ${state.reason}` : ''}`);
    if (RETURN_FINAL_STATES.includes(state.state) && state.state !== 'rejected' && state.state !== 'refused') {
      await this.afterEnd(request, state.state, state.reason);
    } else {
      this.audit.detach(returnDecisionLearnt(request.holder, request.id, state.state, state.reason));
    }
    this.poke();
  }

  /**
   * At the receiver, once a request has ended: its job stops, and its rows are removed (revoked) or
   * kept as they are (withdrawn, ended), said in the request's history and the audit log. A chunk
   * being written meanwhile finds its job cancelled and rolls back (the writer checks the job under
   * its lock); a deadlock with such a write is retried.
   */
  private async afterEnd(request: Pick<RequestRow, 'id' | 'holder'>, state: string, reason: string | null): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        const rows = await this.dataSource.transaction(async (manager) => {
          await this.jobs.cancelActive(manager, request.id, `the request was ${state}${reason ? `: ${reason}` : ''}`);
          const held =
            state === 'revoked'
              ? { removed: await this.returnedRows.removeAll(manager, request.id) }
              : { kept: await this.returnedRows.count(manager, request.id) };
          const fresh = await this.requests.findRequest(manager, request.id);
          const note =
            held.removed !== undefined
              ? `the grant was revoked: the ${held.removed} rows returned were removed`
              : `${held.kept} rows returned are kept as they were at change ${fresh?.appliedSeq ?? 0}, no longer updated`;
          await this.requests.appendLocalEvent(manager, request.id, { at: new Date().toISOString(), state: 'transfer', by: this.config.code, note });
          await this.audit.record(returnEndLearnt(request.holder, request.id, state, reason, held), manager);
          return held;
        });
        this.metrics.requestsEnded.inc({ state });
        this.logger.log(`return request ${request.id} ${state}: ${rows.removed !== undefined ? `${rows.removed} rows removed` : `${rows.kept} rows kept`}`);
        return;
      } catch (error) {
        if ((error as { code?: string }).code !== '40P01' || attempt >= 5) throw error;
      }
    }
  }

  /**
   * The holder refused a job's request for good. It is asked how the request stands (it says why
   * it ended); should it not say that it ended, the request ends here, so that nothing retries it.
   */
  private async endAfterRefusal(request: Pick<RequestRow, 'id' | 'holder'>, refusal: string): Promise<void> {
    const state = await this.refresh(request).catch(() => undefined);
    if (state && RETURN_FINAL_STATES.includes(state.state)) return;
    const reason = `${request.holder} refused for good: ${refusal.slice(0, 1000)}`;
    const ended = await this.requests.endHere(this.dataSource.manager, request.id, reason, {
      at: new Date().toISOString(),
      state: 'ended',
      by: this.config.code,
      note: reason,
    });
    if (ended) await this.afterEnd(request, 'ended', reason);
  }

  /** Of several replicas of this node, the one holding the scheduler's lease schedules and runs the transfers. */
  private async run(): Promise<void> {
    await this.leases.runWhileHeld(
      RETURN_SCHEDULER_LEASE,
      () => this.running,
      (term) => this.schedule(term),
      this.wakeup,
    );
  }

  private async schedule(term: LeaseTerm): Promise<void> {
    this.term = term;
    term.onEnd(() => this.wakeup.signal());
    while (this.active) {
      try {
        await this.tick();
      } catch (error) {
        this.logger.warn(`return scheduler: ${(error as Error).message}`);
      }
      await this.wakeup.sleep(TICK_MS);
    }
    // A job stops at its next step once the term has ended; the next holder resumes it from its last committed chunk.
    await Promise.all(this.runners.values());
  }

  /** True while this node runs and this replica holds the scheduler's lease. */
  private get active(): boolean {
    return this.running && (this.term?.held ?? false);
  }

  private async tick(): Promise<void> {
    const manager = this.dataSource.manager;
    if (Date.now() - this.lastStatusPoll >= 2000) {
      this.lastStatusPoll = Date.now();
      for (const pending of await this.requests.pendingOutgoing(manager)) {
        await this.refresh(pending).catch((error) => this.logger.debug(`status of ${pending.id}: ${(error as Error).message}`));
      }
    }
    // A grant starts the full transfer; afterwards the entry's update cycle schedules re-syncs,
    // counted from the last time the holder was asked (kept in the database: the schedule survives restarts).
    for (const r of await this.requests.idleGranted(manager)) {
      if (!r.fullDone) {
        await this.createJob(r.id, 'full');
        continue;
      }
      const interval = RESYNC_INTERVAL_MS[r.updateCycle as UpdateCycle] ?? null;
      if (interval !== null && (r.lastCheckedAt === null || Date.parse(r.lastCheckedAt) + interval <= Date.now())) this.startCheck(r);
    }
    for (const job of await this.jobs.activeJobs(manager)) this.startRunner(job);
  }

  /**
   * A scheduled re-sync asks the holder for a plan first: when there is nothing new, the request
   * only notes the check (`lastCheckedAt`) and no job is recorded, so a realtime grant does not
   * leave a job every 5 s. Changes, or a failure, make a job (a failure then backs off in it, one
   * job per outage); a permanent refusal ends the request.
   */
  private startCheck(r: { id: string; holder: string }): void {
    if (!this.active || this.checking.has(r.id)) return;
    this.checking.add(r.id);
    const check = async () => {
      const request = await this.requests.findRequest(this.dataSource.manager, r.id);
      if (!request || request.state !== 'granted') return;
      let plan: ReturnPlan;
      try {
        plan = await this.plan(request, request.appliedSeq, 0);
      } catch (error) {
        if (error instanceof PermanentRefusal) {
          this.metrics.jobFailures.inc({ holder: request.holder, kind: 'permanent' });
          return this.endAfterRefusal(request, error.message);
        }
        await this.createJob(r.id, 'incremental');
        return;
      }
      if (plan.bounds.length === 0) await this.requests.markChecked(this.dataSource.manager, r.id, plan.head);
      else await this.createJob(r.id, 'incremental', Promise.resolve(plan));
    };
    void check()
      .catch((error) => this.logger.warn(`re-sync check of ${r.id}: ${(error as Error).message}`))
      .finally(() => this.checking.delete(r.id));
  }

  /**
   * A request granted at once: its first plan is asked for while its job is created, so the
   * transfer starts a round trip sooner.
   */
  async startGranted(request: Pick<RequestRow, 'id' | 'holder'>): Promise<JobRow> {
    const firstPlan = settledLater(this.plan(request, 0, null));
    return this.createJob(request.id, 'full', firstPlan);
  }

  /** A new job for a granted request, or the one in flight. Full until a full transfer has completed. */
  async createJob(requestId: string, kind?: 'full' | 'incremental', firstPlan?: Promise<ReturnPlan>): Promise<JobRow> {
    const job = await this.dataSource.transaction(async (manager) => {
      const request = await this.requests.findRequest(manager, requestId, true);
      if (!request) throw new Error(`no request ${requestId}`);
      const fullDone = (await this.jobs.listJobs(manager, requestId, 1000)).some((j) => j.kind === 'full' && j.state === 'done');
      const chosen = kind ?? (fullDone ? 'incremental' : 'full');
      return chosen === 'full' || !fullDone
        ? this.jobs.createJob(manager, randomUUID(), requestId, 'full', 0, null)
        : this.jobs.createJob(manager, randomUUID(), requestId, 'incremental', request.appliedSeq, 0);
    });
    this.startRunner(job, firstPlan);
    return job;
  }

  private startRunner(job: JobRow, firstPlan?: Promise<ReturnPlan>): void {
    if (!this.active || this.runners.has(job.id)) return;
    const runner = this.runJob(job.id, firstPlan).finally(() => this.runners.delete(job.id));
    this.runners.set(job.id, runner);
  }

  /**
   * `firstPlan`: a plan already asked for the job's cursor (a new grant's, or a re-sync check's);
   * used on the first attempt only. Failures are retried with back-off (see FIRST_BACKOFF_MS), each
   * recorded in the job (`attempts`, `lastError`, `nextAttemptAt`) and counted in
   * `tdx_return_job_failures_total`; a permanent refusal by the holder fails the job and ends the request.
   */
  private async runJob(jobId: string, firstPlan?: Promise<ReturnPlan>): Promise<void> {
    const backoff = new Backoff(MAX_BACKOFF_MS, FIRST_BACKOFF_MS);
    let holder = 'unknown';
    let first = true;
    while (this.active) {
      const job = await this.jobs.findJob(this.dataSource.manager, jobId).catch(() => undefined);
      if (job && job.state !== 'queued' && job.state !== 'running') return;
      // After a restart, a job that was backing off keeps to its next attempt's time.
      if (first && job?.nextAttemptAt && Date.parse(job.nextAttemptAt) > Date.now()) {
        first = false;
        if (!(await this.waitUnlessEnded(jobId, Date.parse(job.nextAttemptAt) - Date.now()))) return;
        continue;
      }
      first = false;
      const rowsBefore = job?.rowsDone ?? 0;
      let request: RequestRow | undefined;
      try {
        if (!job) throw new Error('job not readable (database?)');
        request = await this.requests.findRequest(this.dataSource.manager, job.requestId);
        if (!request) throw new Error(`request ${job.requestId} is gone`);
        holder = request.holder;
        await this.jobs.startJob(this.dataSource.manager, job.id);
        await this.writer.forgetRangesAhead(job.id);
        const prefetched = firstPlan;
        firstPlan = undefined;
        await this.transfer(job, request, prefetched);
        return;
      } catch (error) {
        if (!this.active) return;
        const message = (error as Error).message;
        if (error instanceof PermanentRefusal && request) {
          this.metrics.jobFailures.inc({ holder, kind: 'permanent' });
          await this.jobs.finishJob(this.dataSource.manager, jobId, 'failed', message).catch(() => undefined);
          this.logger.warn(`return job ${jobId} failed: ${message}`);
          await this.endAfterRefusal(request, message).catch((e) => this.logger.warn(`ending request ${request?.id}: ${(e as Error).message}`));
          return;
        }
        const now = await this.jobs.findJob(this.dataSource.manager, jobId).catch(() => undefined);
        // Cancelled under it (its request ended): the refused write was the end, not a failure.
        if (now && now.state !== 'queued' && now.state !== 'running') return;
        this.metrics.jobFailures.inc({ holder, kind: 'transient' });
        if (now && now.rowsDone > rowsBefore) backoff.reset();
        const delay = backoff.next();
        this.logger.warn(`return job ${jobId}: ${message}; retrying in ${delay} ms`);
        await this.jobs.jobError(this.dataSource.manager, jobId, message, new Date(Date.now() + delay)).catch(() => undefined);
        if (!(await this.waitUnlessEnded(jobId, delay))) return;
      }
    }
  }

  /** Waits `ms`, in short steps, unless the node stops or the job is no longer in flight (cancelled): false then. */
  private async waitUnlessEnded(jobId: string, ms: number): Promise<boolean> {
    const until = Date.now() + ms;
    let step = 0;
    while (this.active && Date.now() < until) {
      await sleep(Math.min(200, until - Date.now()));
      // Each second: has the job been cancelled meanwhile (its request ended)?
      if (++step % 5 === 0) {
        const job = await this.jobs.findJob(this.dataSource.manager, jobId).catch(() => undefined);
        if (job && job.state !== 'queued' && job.state !== 'running') return false;
      }
    }
    return this.active;
  }

  /**
   * Plans, then pulls, verifies and writes the planned ranges, several at once (the writer moves
   * the cursor over them in order); then plans again from there, until the holder has nothing more.
   */
  private async transfer(job: JobRow, request: RequestRow, firstPlan?: Promise<ReturnPlan>): Promise<void> {
    let after = job.afterSeq;
    let tombstonesAfter = job.tombstonesAfter ?? (job.kind === 'incremental' ? 0 : null);
    const planFromCursor = () => this.plan(request, after, tombstonesAfter);
    // A plan asked before the job (at its cursor) is used only if it starts where the job does.
    const fitting = (p: ReturnPlan) => (p.after === after && (tombstonesAfter === null || p.tombstonesAfter === tombstonesAfter) ? p : planFromCursor());
    let plan = await (firstPlan?.then(fitting, planFromCursor) ?? planFromCursor());
    for (;;) {
      tombstonesAfter = plan.tombstonesAfter;
      if (plan.bounds.length === 0) break;
      await this.jobs.recordPlan(this.dataSource.manager, job.id, plan.tombstonesAfter, plan.total);
      const last = plan.bounds[plan.bounds.length - 1];
      // The next pass is planned once this one's last range has arrived, while its rows are still
      // being written: that round trip no longer waits for the writes.
      let nextPlan: Promise<ReturnPlan> | undefined;
      await this.pullRanges(job, request, after, plan.bounds, tombstonesAfter, () => (nextPlan = settledLater(this.plan(request, last, tombstonesAfter))));
      if (!this.active) return;
      after = last;
      plan = await (nextPlan ?? planFromCursor());
    }
    // The last plan found nothing of this jurisdiction up to its head: the next pass starts there.
    after = Math.max(after, plan.head);
    const done = await this.dataSource.transaction(async (manager) => {
      await this.jobs.recordPlan(manager, job.id, plan.tombstonesAfter, plan.total);
      await this.jobs.advanceCursor(manager, job.id, after);
      const finished = await this.jobs.finishJob(manager, job.id, 'done', null);
      if (finished.state === 'done' && (finished.kind === 'full' || finished.upserts + finished.deletes > 0)) {
        await this.requests.appendLocalEvent(manager, request.id, {
          at: new Date().toISOString(),
          state: 'transfer',
          by: this.config.code,
          note: `${finished.kind} transfer done: received ${finished.rowsDone} rows (${finished.upserts} written, ${finished.deletes} deleted) up to change ${after}`,
        });
      }
      return finished;
    });
    this.logger.log(`return job ${job.id} (${done.kind}) for request ${request.id} done: ${done.rowsDone} rows from ${request.holder}, up to change ${after}`);
  }

  /**
   * Ranges (after, bounds[0]], (bounds[0], bounds[1]], ... as a pipeline: up to PULLS_AHEAD ranges
   * are pulled ahead, and up to WRITES_AT_ONCE pulled ranges are written at once, each in its own
   * transaction (the writer moves the cursor over them in order, whichever commits first). Calls
   * `allPulled` once the last range has arrived. Returns once every range has been written, or with
   * the first failure once nothing is in flight any more.
   */
  private async pullRanges(job: JobRow, request: RequestRow, after: number, bounds: number[], tombstonesAfter: number, allPulled: () => void): Promise<void> {
    const pulls: Promise<PulledChunk[]>[] = [];
    const writes: Promise<void>[] = [];
    let next = 0;
    const pullNext = () => {
      if (next >= bounds.length || !this.active) return;
      pulls.push(settledLater(this.pullRange(request, next === 0 ? after : bounds[next - 1], bounds[next], tombstonesAfter)));
      next++;
    };
    const write = async (chunks: PulledChunk[]) => {
      for (const chunk of chunks) await this.apply(job, request, chunk);
    };
    try {
      for (let i = 0; i < PULLS_AHEAD; i++) pullNext();
      while (pulls.length > 0) {
        const chunks = await pulls[0];
        pulls.shift();
        pullNext();
        if (pulls.length === 0 && next >= bounds.length) allPulled();
        writes.push(settledLater(write(chunks)));
        if (writes.length >= WRITES_AT_ONCE) await writes.shift();
      }
      while (writes.length > 0) await writes.shift();
    } catch (error) {
      await Promise.allSettled([...pulls, ...writes]);
      throw error;
    }
  }

  private async apply(job: JobRow, request: RequestRow, chunk: PulledChunk): Promise<void> {
    try {
      // The chunk's audit record commits with its rows.
      await this.writer.apply(job, returnJurisdiction(request.requester, request.scope), chunk, (manager) =>
        this.audit.record(returnChunkReceived(request.holder, request.id, chunk), manager),
      );
      this.metrics.rows.inc({ holder: request.holder }, chunk.rows);
    } catch (error) {
      if (error instanceof ChunkRefused) {
        throw error.permanent ? new PermanentRefusal(`${request.holder}: ${error.message}`) : new WireError(`${request.holder}: ${error.message}`);
      }
      throw error;
    }
  }

  private async plan(request: Pick<RequestRow, 'id' | 'holder'>, after: number, tombstonesAfter: number | null): Promise<ReturnPlan> {
    const { message } = await this.wire.ask(request.holder, 'return.plan', { requestId: request.id, after, tombstonesAfter }, PULL_TIMEOUT_MS);
    this.refusedBy(request, message);
    if (message.kind !== 'return.ranges') throw new WireError('the answer to a plan is not ranges');
    // Its shape (ascending bounds above `after`) was checked by the wire against the schema.
    const plan = message.body;
    if (plan.requestId !== request.id || plan.after !== after) throw new WireError('the plan answers another request');
    return plan;
  }

  /** The range (after, upto]: one chunk, or more when the holder had to cut it by size. */
  private async pullRange(request: RequestRow, after: number, upto: number, tombstonesAfter: number): Promise<PulledChunk[]> {
    const chunks: PulledChunk[] = [];
    for (let from = after; from < upto;) {
      const pulled = await this.pull(request, from, upto, tombstonesAfter);
      chunks.push(pulled);
      from = pulled.through;
    }
    return chunks;
  }

  /** One chunk, its signature verified (by the wire) and its checksum checked; its rows are checked as they are applied. */
  private async pull(request: RequestRow, after: number, upto: number, tombstonesAfter: number): Promise<PulledChunk> {
    const { message, attachment } = await this.wire.ask(
      request.holder,
      'return.pull',
      { requestId: request.id, after, upto, tombstonesAfter },
      PULL_TIMEOUT_MS,
    );
    this.refusedBy(request, message);
    if (message.kind !== 'return.chunk' || attachment === undefined) throw new WireError('the answer to a pull is not a chunk');
    const chunk: ReturnChunk = message.body;
    // `through` inside (after, upto] and the counts were checked by the wire against the schema.
    if (chunk.requestId !== request.id || chunk.after !== after || chunk.upto !== upto) throw new WireError('the chunk answers another pull');
    if (sha256Hex(attachment) !== chunk.sha256) throw new WireError('chunk checksum mismatch: the rows were changed on the way');
    return { after, through: chunk.through, rows: chunk.rows, attachment };
  }

  private refusedBy(request: Pick<RequestRow, 'holder'>, message: { kind: string; body: unknown }): void {
    if (message.kind !== 'return.error') return;
    const body = message.body as ReturnErrorBody;
    if (body.permanent) throw new PermanentRefusal(`${request.holder} refused: ${body.message}`);
    throw new WireError(`${request.holder} answered ${body.kind}: ${body.message}`);
  }
}

interface PulledChunk {
  after: number;
  through: number;
  rows: number;
  attachment: Buffer;
}

/**
 * The promise, marked as handled: a failure while it waits its turn is not an unhandled rejection.
 * It still rejects where it is awaited.
 */
function settledLater<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}
