import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { auditHash, AuditRecord } from '@tdx/contracts';
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

/**
 * Appends to this node's audit log. Pass the caller's transaction to record an action atomically
 * with it (replication batches, return chunks): the record commits or rolls back with the action,
 * so a kill -9 can lose neither without the other. Call it last in that transaction: it holds the
 * log's head lock until commit, and taking other locks after it could deadlock.
 */
@Injectable()
export class AuditLog {
  constructor(private readonly dataSource: DataSource, private readonly repository: AuditRepository) {}

  async append(event: AuditEvent, manager?: EntityManager): Promise<AuditRecord> {
    if (!manager) return this.dataSource.transaction((own) => this.append(event, own));
    const head = await this.repository.lockHead(manager);
    // Taken under the lock, so times follow the chain's order (unless the clock itself steps back).
    const fields = {
      seq: head.seq + 1,
      at: new Date().toISOString(),
      actor: cleanText(event.actor, 200),
      action: cleanText(event.action, 200),
      target: event.target === undefined || event.target === null ? null : cleanText(event.target, 300),
      outcome: cleanText(event.outcome, 50),
      details: cleanDetails(event.details ?? {}),
      prevHash: head.hash,
    };
    const record: AuditRecord = { ...fields, hash: auditHash(fields) };
    await this.repository.insert(manager, record);
    return record;
  }
}
