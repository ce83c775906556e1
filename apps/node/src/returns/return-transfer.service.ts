import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { randomUUID } from 'node:crypto';
import { inReturnJurisdiction, ReturnChunk, ReturnErrorBody, ReturnRequestState, ReturnWireRow, sha256Hex, UpdateCycle } from '@tdx/contracts';
import { NODE_CONFIG, NodeRuntimeConfig } from '../config/node-config';
import { sleep } from '../federation/nats-link';
import { Wakeup } from '../federation/wakeup';
import { JobRow, RequestRow, ReturnsRepository } from './returns.repository';
import { ReturnWire, WireError } from './return-wire';

const TICK_MS = 1000;
const PULL_ROWS = 5000;
const PULL_TIMEOUT_MS = 15_000;
const MAX_BACKOFF_MS = 5000;

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

/** A refusal by the holder, answered to the operator with the holder's status and body. */
export class HolderRefusal extends Error {
  constructor(readonly body: ReturnErrorBody) {
    super(body.message);
  }
}

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
  private loop: Promise<void> | undefined;
  private lastStatusPoll = 0;

  constructor(
    @Inject(NODE_CONFIG) private readonly config: NodeRuntimeConfig,
    private readonly dataSource: DataSource,
    private readonly returns: ReturnsRepository,
    private readonly wire: ReturnWire,
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
    if (message.kind === 'return.error') throw new HolderRefusal(message.body);
    if (message.kind !== 'return.state' || message.body.id !== request.id) throw new WireError('unexpected answer to a status query');
    const before = await this.returns.mirror(this.dataSource.manager, message.body);
    if (before !== message.body.state) {
      this.logger.log(`return request ${request.id} at ${request.holder} is now ${message.body.state}`);
      this.poke();
    }
    return message.body;
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        await this.tick();
      } catch (error) {
        this.logger.warn(`return scheduler: ${(error as Error).message}`);
      }
      await this.wakeup.sleep(TICK_MS);
    }
  }

  private async tick(): Promise<void> {
    const manager = this.dataSource.manager;
    if (Date.now() - this.lastStatusPoll >= 2000) {
      this.lastStatusPoll = Date.now();
      for (const pending of await this.returns.pendingOutgoing(manager)) {
        await this.refresh(pending).catch((error) => this.logger.debug(`status of ${pending.id}: ${(error as Error).message}`));
      }
    }
    // A grant starts the full transfer; afterwards the entry's update cycle schedules re-syncs,
    // counted from the last finished job (so the schedule survives restarts).
    for (const r of await this.returns.idleGranted(manager)) {
      if (!r.fullDone) {
        await this.createJob(r.id, 'full');
        continue;
      }
      const interval = RESYNC_INTERVAL_MS[r.updateCycle as UpdateCycle] ?? null;
      if (interval !== null && (r.lastFinishedAt === null || Date.parse(r.lastFinishedAt) + interval <= Date.now())) {
        await this.createJob(r.id, 'incremental');
      }
    }
    for (const job of await this.returns.activeJobs(manager)) this.startRunner(job);
  }

  /** A new job for a granted request, or the one in flight. Full until a full transfer has completed. */
  async createJob(requestId: string, kind?: 'full' | 'incremental'): Promise<JobRow> {
    const job = await this.dataSource.transaction(async (manager) => {
      const request = await this.returns.findRequest(manager, requestId, true);
      if (!request) throw new Error(`no request ${requestId}`);
      const fullDone = (await this.returns.listJobs(manager, requestId, 1000)).some((j) => j.kind === 'full' && j.state === 'done');
      const chosen = kind ?? (fullDone ? 'incremental' : 'full');
      return chosen === 'full' || !fullDone
        ? this.returns.createJob(manager, randomUUID(), requestId, 'full', 0, null)
        : this.returns.createJob(manager, randomUUID(), requestId, 'incremental', request.appliedSeq, 0);
    });
    this.startRunner(job);
    return job;
  }

  private startRunner(job: JobRow): void {
    if (!this.running || this.runners.has(job.id)) return;
    const runner = this.runJob(job.id).finally(() => this.runners.delete(job.id));
    this.runners.set(job.id, runner);
  }

  private async runJob(jobId: string): Promise<void> {
    let backoff = 250;
    while (this.running) {
      const job = await this.returns.findJob(this.dataSource.manager, jobId).catch(() => undefined);
      if (job && job.state !== 'queued' && job.state !== 'running') return;
      try {
        if (!job) throw new Error('job not readable (database?)');
        const request = await this.returns.findRequest(this.dataSource.manager, job.requestId);
        if (!request) throw new Error(`request ${job.requestId} is gone`);
        await this.returns.startJob(this.dataSource.manager, job.id);
        await this.transfer(job, request);
        return;
      } catch (error) {
        if (!this.running) return;
        const message = (error as Error).message;
        if (error instanceof PermanentRefusal) {
          await this.returns.finishJob(this.dataSource.manager, jobId, 'failed', message).catch(() => undefined);
          this.logger.warn(`return job ${jobId} failed: ${message}`);
          return;
        }
        this.logger.warn(`return job ${jobId}: ${message}; retrying in ${backoff} ms`);
        await this.returns.jobError(this.dataSource.manager, jobId, message).catch(() => undefined);
        await sleep(backoff);
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      }
    }
  }

  /** Pulls, verifies and applies chunks until the holder has no more; the next chunk is fetched while one is written. */
  private async transfer(job: JobRow, request: RequestRow): Promise<void> {
    let after = job.afterSeq;
    let tombstonesAfter = job.tombstonesAfter ?? (job.kind === 'incremental' ? 0 : null);
    let next = this.pull(request, after, tombstonesAfter, job.rowsTotal === null);
    for (;;) {
      const { chunk, rowsJson } = await next;
      tombstonesAfter = chunk.tombstonesAfter;
      if (chunk.more && this.running) {
        next = this.pull(request, chunk.last, tombstonesAfter, false);
        next.catch(() => undefined); // awaited (and its failure handled) on the next round
      }
      await this.dataSource.transaction((manager) => this.returns.applyChunk(manager, job, {
        after: chunk.after, last: chunk.last, rows: chunk.rows, rowsJson, tombstonesAfter: chunk.tombstonesAfter, total: chunk.total,
      }));
      after = chunk.last;
      if (!chunk.more) break;
      if (!this.running) return;
    }
    const done = await this.dataSource.transaction(async (manager) => {
      const finished = await this.returns.finishJob(manager, job.id, 'done', null);
      if (finished.kind === 'full' || finished.upserts + finished.deletes > 0) {
        await this.returns.appendLocalEvent(manager, request.id, {
          at: new Date().toISOString(), state: 'transfer', by: this.config.code,
          note: `${finished.kind} transfer done: received ${finished.rowsDone} rows (${finished.upserts} written, ${finished.deletes} deleted) up to change ${after}`,
        });
      }
      return finished;
    });
    this.logger.log(`return job ${job.id} (${done.kind}) for request ${request.id} done: ${done.rowsDone} rows from ${request.holder}, up to change ${after}`);
  }

  /** One chunk, its signature verified (by the wire), its checksum and every row checked before it is applied. */
  private async pull(request: RequestRow, after: number, tombstonesAfter: number | null, count: boolean): Promise<{ chunk: ReturnChunk; rowsJson: string }> {
    const { message, attachment } = await this.wire.ask(request.holder, 'return.pull',
      { requestId: request.id, after, limit: PULL_ROWS, tombstonesAfter, count }, PULL_TIMEOUT_MS);
    if (message.kind === 'return.error') {
      if (message.body.permanent) throw new PermanentRefusal(`${request.holder} refused: ${message.body.message}`);
      throw new WireError(`${request.holder} answered ${message.body.status}: ${message.body.message}`);
    }
    if (message.kind !== 'return.chunk' || attachment === undefined) throw new WireError('the answer to a pull is not a chunk');
    const chunk = message.body;
    if (chunk.requestId !== request.id || chunk.after !== after) throw new WireError('the chunk answers another pull');
    if (sha256Hex(attachment) !== chunk.sha256) throw new WireError('chunk checksum mismatch: the rows were changed on the way');
    const rowsJson = attachment.toString('utf8');
    const rows = JSON.parse(rowsJson) as ReturnWireRow[];
    if (!Array.isArray(rows) || rows.length !== chunk.rows) throw new WireError('chunk row count does not match its header');
    let previous = after;
    for (const row of rows) {
      const [key, region, seq, data] = row;
      // Defence in depth: a holder must never send a row outside this node's jurisdiction.
      if (typeof key !== 'string' || typeof region !== 'string' || !inReturnJurisdiction(region, request.requester, request.scope)) {
        throw new PermanentRefusal(`${request.holder} sent a row outside the jurisdiction of the request (${String(region)}); refused`);
      }
      if (!Number.isSafeInteger(seq) || seq <= previous || (data !== null && (typeof data !== 'object' || Array.isArray(data)))) {
        throw new WireError('chunk rows are malformed or out of order');
      }
      previous = seq;
    }
    if (rows.length > 0 && previous !== chunk.last) throw new WireError('chunk last sequence does not match its rows');
    return { chunk, rowsJson };
  }
}
