import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Envelope, RECORD_KIND_VERSIONS, ReplicationRecord, sealRecord } from '@tdx/contracts';
import { NODE_CONFIG, NodeRuntimeConfig } from '../config/node-config';

type RecordOf<K extends ReplicationRecord['kind']> = Extract<ReplicationRecord, { kind: K }>;

export interface ForwardRecord {
  origin: string;
  kind: string;
  envelope: Envelope;
}

// Four parameters a row; PostgreSQL allows 65,535 parameters in one statement.
const FORWARD_ROWS_PER_STATEMENT = 1000;

export interface OutboxRow {
  seq: string;
  origin: string;
  payload: string;
  sig: string;
}

/**
 * The transactional outbox: a record is written in the same transaction as the change it
 * describes, so nothing committed is lost between the database and the broker.
 */
@Injectable()
export class OutboxRepository {
  constructor(@Inject(NODE_CONFIG) private readonly config: NodeRuntimeConfig) {}

  /** Signs and queues a record that this node originates. A province has no parent and queues nothing. */
  async appendLocal<K extends ReplicationRecord['kind']>(manager: EntityManager, kind: K, body: RecordOf<K>['body']): Promise<void> {
    await this.appendLocalMany(manager, kind, [body]);
  }

  /** Signs and queues records this node originates, in the order given, with one sequence fetch and one insert. */
  async appendLocalMany<K extends ReplicationRecord['kind']>(manager: EntityManager, kind: K, bodies: RecordOf<K>['body'][]): Promise<void> {
    if (!this.config.parentCode || bodies.length === 0) return;
    await this.appendForwardMany(manager, await this.seal(manager, kind, bodies));
  }

  /**
   * Signs records this node originates, in the order given, each with the next outbox sequence,
   * without queueing them: for a caller that keeps the signed text too (and queues it with
   * appendForwardMany, which a province without a parent skips).
   */
  async seal<K extends ReplicationRecord['kind']>(manager: EntityManager, kind: K, bodies: RecordOf<K>['body'][]): Promise<ForwardRecord[]> {
    if (bodies.length === 0) return [];
    const rows: { seq: string }[] = await manager.query(`SELECT nextval('record_seq') AS seq FROM generate_series(1, $1)`, [bodies.length]);
    const seqs = rows.map((r) => Number(r.seq)).sort((a, b) => a - b);
    const at = new Date().toISOString();
    return bodies.map((body, i) => {
      const record = { v: RECORD_KIND_VERSIONS[kind], kind, origin: this.config.code, seq: seqs[i], at, body } as ReplicationRecord;
      return { origin: this.config.code, kind, envelope: sealRecord(record, this.config.signingKey) };
    });
  }

  /** Queues a descendant's record, exactly as its origin signed it, for this node's parent. */
  async appendForward(manager: EntityManager, origin: string, kind: string, envelope: Envelope): Promise<void> {
    await this.appendForwardMany(manager, [{ origin, kind, envelope }]);
  }

  /**
   * Queues records in one statement per thousand, in the order given (a VALUES list yields
   * its rows in order, so `seq` follows it). One round trip per batch instead of one per record.
   */
  async appendForwardMany(manager: EntityManager, records: ForwardRecord[]): Promise<void> {
    if (!this.config.parentCode) return;
    for (let start = 0; start < records.length; start += FORWARD_ROWS_PER_STATEMENT) {
      const chunk = records.slice(start, start + FORWARD_ROWS_PER_STATEMENT);
      const values = chunk.map((_, i) => `($${4 * i + 1}, $${4 * i + 2}, $${4 * i + 3}, $${4 * i + 4})`).join(', ');
      await manager.query(
        `INSERT INTO outbox (origin, kind, payload, sig) VALUES ${values}`,
        chunk.flatMap((r) => [r.origin, r.kind, r.envelope.payload, r.envelope.sig]),
      );
    }
  }

  async nextBatch(manager: EntityManager, limit: number): Promise<OutboxRow[]> {
    return manager.query(`SELECT seq, origin, payload, sig FROM outbox ORDER BY seq LIMIT $1`, [limit]);
  }

  async remove(manager: EntityManager, seqs: string[]): Promise<void> {
    await manager.query(`DELETE FROM outbox WHERE seq = ANY($1::bigint[])`, [seqs]);
  }

  async backlog(manager: EntityManager): Promise<{ count: number; oldestAt: string | null }> {
    const [row] = await manager.query(`SELECT count(*)::int AS count, min(created_at) AS oldest FROM outbox`);
    return { count: row.count, oldestAt: row.oldest ? new Date(row.oldest).toISOString() : null };
  }
}
