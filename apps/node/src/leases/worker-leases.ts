import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { NODE_CONFIG, NodeRuntimeConfig } from '../config/node-config';
import { Wakeup } from '../common/wakeup';
import { WorkerLeaseRepository } from './worker-lease.repository';

/** A work transaction found that this replica no longer holds the lease: it rolls back, and the new holder does the work. */
export class LeaseLost extends Error {
  constructor(name: string) {
    super(`this replica no longer holds the lease ${name}; another replica has taken the work over`);
    this.name = 'LeaseLost';
  }
}

/**
 * One term of a lease held by this replica. `held` is this replica's own (conservative) view, to
 * stop starting work; `fence` is the database's, to refuse committing it.
 */
export class LeaseTerm {
  private ended = false;
  private readonly endListeners: (() => void)[] = [];

  constructor(
    readonly name: string,
    readonly generation: string,
    private readonly holder: string,
    private readonly leases: WorkerLeaseRepository,
    /** Monotonic time (performance.now()) until which the lease is surely still ours. */
    private validUntil: number,
  ) {}

  get held(): boolean {
    return !this.ended && performance.now() < this.validUntil;
  }

  /** Called first in a work transaction: throws LeaseLost (the transaction rolls back) unless this term still holds. */
  async fence(manager: EntityManager): Promise<void> {
    if (!(await this.leases.stillHeld(manager, this.name, this.holder, this.generation))) {
      this.end();
      throw new LeaseLost(this.name);
    }
  }

  /** Called when the term ends (lost, or given up); at once when it has ended already. */
  onEnd(listener: () => void): void {
    if (this.ended) listener();
    else this.endListeners.push(listener);
  }

  extendTo(validUntil: number): void {
    this.validUntil = validUntil;
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.endListeners.splice(0).forEach((listener) => listener());
  }

  get isEnded(): boolean {
    return this.ended;
  }
}

/**
 * Background tasks that must run on one replica at a time, whichever replicas of this node are
 * running (docs/architecture.md, "Several replicas of one node"). Each task has a named lease in
 * the node's database; the replica that holds it does the work and renews it every third of
 * WORKER_LEASE_SECONDS; when it dies, another takes the task over once the lease has expired.
 */
@Injectable()
export class WorkerLeases {
  private readonly logger = new Logger('WorkerLeases');
  /** This replica, as the lease table names it: host, process and a random part (one process may host several nodes). */
  readonly holder = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;

  constructor(
    @Inject(NODE_CONFIG) private readonly config: NodeRuntimeConfig,
    private readonly dataSource: DataSource,
    private readonly leases: WorkerLeaseRepository,
  ) {}

  private get ttlMs(): number {
    return this.config.highAvailability.workerLeaseSeconds * 1000;
  }

  /**
   * Runs `work` whenever this replica holds lease `name`, until `running()` is false. `work` is
   * given the term and must return soon after the term ends (`term.held` false, `onEnd`); its
   * transactions call `term.fence` so that nothing commits after a hand-over.
   */
  async runWhileHeld(name: string, running: () => boolean, work: (term: LeaseTerm) => Promise<void>, stopSignal?: Wakeup): Promise<void> {
    const retry = stopSignal ?? new Wakeup();
    while (running()) {
      const term = await this.acquire(name).catch((error: unknown) => {
        this.logger.warn(`lease ${name}: ${(error as Error).message}`);
        return undefined;
      });
      if (!term) {
        // Another replica holds it (or the database is away): look again a third of a lease later.
        await retry.sleep(this.ttlMs / 3);
        continue;
      }
      this.logger.log(`this replica (${this.holder}) runs ${name} (lease generation ${term.generation})`);
      const renewing = this.keepRenewed(term);
      try {
        await work(term);
      } catch (error) {
        if (!(error instanceof LeaseLost)) this.logger.warn(`${name} stopped: ${(error as Error).message}`);
      } finally {
        const lost = term.isEnded;
        term.end();
        await renewing;
        if (!lost) await this.leases.release(this.dataSource.manager, name, this.holder, term.generation).catch(() => undefined);
        else this.logger.warn(`this replica lost the lease ${name}; another replica takes the work over`);
      }
    }
  }

  private async acquire(name: string): Promise<LeaseTerm | undefined> {
    const manager = this.dataSource.manager;
    let asked = performance.now();
    let generation = await this.leases.acquire(manager, name, this.holder, this.ttlMs);
    if (generation === undefined) {
      // A node restarted after a kill -9 need not wait out its own dead process's lease.
      const holder = await this.leases.holderOf(manager, name);
      if (holder !== undefined && this.isDeadHere(holder)) {
        asked = performance.now();
        generation = await this.leases.acquire(manager, name, this.holder, this.ttlMs, holder);
        if (generation !== undefined) this.logger.log(`lease ${name}: its holder ${holder} is a process of this host that no longer runs; taken at once`);
      }
    }
    return generation === undefined ? undefined : new LeaseTerm(name, generation, this.holder, this.leases, this.validUntil(asked));
  }

  /**
   * Whether `holder` is a process of this host that has ended: its process id runs nothing. Another
   * host's holder, and this process id (a container restarted as pid 1 again, or two replicas in one
   * test process) are never judged: their leases are waited out, as is a reused process id's.
   */
  isDeadHere(holder: string): boolean {
    const parts = holder.split(':');
    const [host, pid] = [parts.slice(0, -2).join(':'), Number(parts[parts.length - 2])];
    if (host !== hostname() || !Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
    try {
      process.kill(pid, 0);
      return false;
    } catch (error) {
      // EPERM: the process exists, under another user.
      return (error as NodeJS.ErrnoException).code === 'ESRCH';
    }
  }

  /**
   * Renews every third of the lease. The term counts as ours only until the lease would expire had
   * the renewal been made the moment it was asked for (the database's expiry is later than that),
   * so this replica stops before any other can start.
   */
  private async keepRenewed(term: LeaseTerm): Promise<void> {
    const wake = new Wakeup();
    term.onEnd(() => wake.signal());
    while (!term.isEnded) {
      await wake.sleep(this.ttlMs / 3);
      if (term.isEnded) return;
      const asked = performance.now();
      try {
        if (await this.leases.renew(this.dataSource.manager, term.name, this.holder, term.generation, this.ttlMs)) term.extendTo(this.validUntil(asked));
        else term.end();
      } catch (error) {
        // The database is away: keep trying while the term lasts; once it runs out the work stops on its own.
        this.logger.warn(`renewing lease ${term.name}: ${(error as Error).message}`);
        if (!term.held) term.end();
      }
    }
  }

  /** A tenth of the lease is kept as margin for the time the database takes to answer. */
  private validUntil(asked: number): number {
    return asked + this.ttlMs * 0.9;
  }
}
