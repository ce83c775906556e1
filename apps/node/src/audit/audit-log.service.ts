import { BeforeApplicationShutdown, Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { AuditFields, auditHash, AuditRecord } from '@tdx/contracts';
import { AuditRepository } from './audit.repository';
import { cleanDetails, cleanText } from './audit-text';

/** What happened, as a caller reports it; the log adds the number, the time and the chain. */
export interface AuditEvent {
  /** `user:<name>` or `anonymous` (actorOf), `node:<code>` for another node. */
  actor: string;
  action: string;
  target?: string | null;
  outcome: string;
  /** Facts only: counts, codes, ids, reasons. Never secrets, tokens or request bodies. */
  details?: Record<string, unknown>;
}

interface Waiting {
  event: AuditEvent;
  resolve: (record: AuditRecord) => void;
  reject: (error: unknown) => void;
}

/** Records written by one group commit at most. */
const MAX_GROUP = 500;

/**
 * Appends to this node's audit log.
 *
 * With the caller's transaction (replication batches, return requests) the record commits or rolls
 * back with the action, so a kill -9 can lose neither without the other. Call it last in that
 * transaction: it holds the log's head lock until commit, and taking other locks after it could
 * deadlock.
 *
 * Without one (HTTP actions, joins, or a manager with no transaction open) the record joins a group commit: appends that arrive while a
 * group is being written wait for the next one, which writes them all in one transaction. The
 * promise resolves once its record is committed, so a caller that waits for it (the HTTP trail,
 * before answering) knows it is durable; concurrent requests share one lock and one fsync
 * instead of queueing for the head lock one commit at a time.
 */
@Injectable()
export class AuditLog implements BeforeApplicationShutdown {
  private readonly waiting: Waiting[] = [];
  private writing = false;
  private closing = false;
  private drained: Promise<void> = Promise.resolve();

  constructor(
    private readonly dataSource: DataSource,
    private readonly repository: AuditRepository,
  ) {}

  async append(event: AuditEvent, manager?: EntityManager): Promise<AuditRecord> {
    // A manager outside a transaction would let go of the head lock between reading and inserting.
    if (manager?.queryRunner?.isTransactionActive) return (await this.appendAll(manager, [event]))[0];
    // Once the node is stopping, the pool is about to close: a connection asked for now might never
    // come, and whoever waits for this record (a stopping loop) would wait for ever.
    if (this.closing) throw new Error('the node is stopping: not recorded');
    return new Promise<AuditRecord>((resolve, reject) => {
      this.waiting.push({ event, resolve, reject });
      this.writeGroups();
    });
  }

  private writeGroups(): void {
    if (this.writing) return;
    this.writing = true;
    this.drained = this.drain();
  }

  /** Before the database pool closes (onApplicationShutdown): the group being written finishes, no new one starts. */
  async beforeApplicationShutdown(): Promise<void> {
    this.closing = true;
    await this.drained;
  }

  /**
   * Writes groups until none waits. The flag is cleared in the same step as the last check of the
   * queue (no await between them), so an append arriving at any moment is either taken by this
   * loop or starts a new one: none is left waiting for a writer that has just stopped.
   */
  private async drain(): Promise<void> {
    try {
      while (this.waiting.length > 0) {
        const group = this.waiting.splice(0, MAX_GROUP);
        try {
          const records = await this.dataSource.transaction((manager) =>
            this.appendAll(
              manager,
              group.map((w) => w.event),
            ),
          );
          group.forEach((w, i) => w.resolve(records[i]));
        } catch (error) {
          group.forEach((w) => w.reject(error));
        }
      }
    } finally {
      this.writing = false;
    }
  }

  private async appendAll(manager: EntityManager, events: AuditEvent[]): Promise<AuditRecord[]> {
    let previous = await this.repository.lockHead(manager);
    const records: AuditRecord[] = [];
    for (const event of events) {
      // Taken under the lock, so times follow the chain's order (unless the clock itself steps back).
      const fields: AuditFields = {
        seq: previous.seq + 1,
        at: new Date().toISOString(),
        actor: cleanText(event.actor, 200),
        action: cleanText(event.action, 200),
        target: event.target === undefined || event.target === null ? null : cleanText(event.target, 300),
        outcome: cleanText(event.outcome, 50),
        details: cleanDetails(event.details ?? {}),
        prevHash: previous.hash,
      };
      const record: AuditRecord = { ...fields, hash: auditHash(fields) };
      records.push(record);
      previous = record;
    }
    await this.repository.insert(manager, records);
    return records;
  }
}
