import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import type { Envelope, SupervisionState, SupervisionTopic } from '@tdx/contracts';

/** A stored supervision state with the signed text its origin published. */
export interface StoredSupervisionState extends SupervisionState {
  envelope: Envelope;
  receivedAt: string;
}

export interface SupervisionStateQuery {
  topic: SupervisionTopic;
  /** States whose origin lies in this division's subtree (a code prefix by level). */
  withinPrefix?: string;
  /** States whose key starts with this. */
  keyPrefix?: string;
  limit: number;
  /** Paging: states after this (origin, key), in that order. */
  after?: { origin: string; key: string };
}

interface Row {
  origin: string;
  topic: SupervisionTopic;
  key: string;
  version: string;
  computed_at: Date;
  data: unknown;
  payload: string;
  sig: string;
  received_at: Date;
}

/** The one owner of `supervision_state`: the newest version of each (topic, origin, key). */
@Injectable()
export class SupervisionStateRepository {
  /** Stores `state` unless a version at least as new is held; true when it was stored. */
  async upsert(manager: EntityManager, state: SupervisionState, envelope: Envelope): Promise<boolean> {
    const rows: unknown[] = await manager.query(
      `INSERT INTO supervision_state AS stored (origin, topic, key, version, computed_at, data, payload, sig)
       VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8)
       ON CONFLICT (topic, origin, key) DO UPDATE SET version = EXCLUDED.version, computed_at = EXCLUDED.computed_at,
         data = EXCLUDED.data, payload = EXCLUDED.payload, sig = EXCLUDED.sig, received_at = now()
       WHERE stored.version < EXCLUDED.version
       RETURNING 1`,
      [state.origin, state.topic, state.key, state.version, state.computedAt, JSON.stringify(state.data), envelope.payload, envelope.sig],
    );
    return rows.length === 1;
  }

  /** The version and data this node holds for one of its own keys, locked until the transaction ends. */
  async ownForUpdate(manager: EntityManager, origin: string, topic: SupervisionTopic, key: string): Promise<{ version: number; data: unknown } | undefined> {
    const rows: { version: string; data: unknown }[] = await manager.query(
      `SELECT version, data FROM supervision_state WHERE topic = $1 AND origin = $2 AND key = $3 FOR UPDATE`,
      [topic, origin, key],
    );
    return rows[0] ? { version: Number(rows[0].version), data: rows[0].data } : undefined;
  }

  async find(manager: EntityManager, q: SupervisionStateQuery): Promise<StoredSupervisionState[]> {
    const params: unknown[] = [q.topic];
    const where = ['topic = $1'];
    if (q.withinPrefix) {
      params.push(`${q.withinPrefix}%`);
      where.push(`origin LIKE $${params.length}`);
    }
    if (q.keyPrefix) {
      params.push(`${q.keyPrefix.replace(/[\\%_]/g, '\\$&')}%`);
      where.push(`key LIKE $${params.length}`);
    }
    if (q.after) {
      params.push(q.after.origin, q.after.key);
      where.push(`(origin, key) > ($${params.length - 1}, $${params.length})`);
    }
    params.push(q.limit);
    const rows: Row[] = await manager.query(
      `SELECT origin, topic, key, version, computed_at, data, payload, sig, received_at FROM supervision_state
       WHERE ${where.join(' AND ')} ORDER BY origin, key LIMIT $${params.length}`,
      params,
    );
    return rows.map(toStored);
  }

  async get(manager: EntityManager, topic: SupervisionTopic, origin: string, key: string): Promise<StoredSupervisionState | undefined> {
    const rows: Row[] = await manager.query(
      `SELECT origin, topic, key, version, computed_at, data, payload, sig, received_at FROM supervision_state WHERE topic = $1 AND origin = $2 AND key = $3`,
      [topic, origin, key],
    );
    return rows[0] ? toStored(rows[0]) : undefined;
  }
}

function toStored(r: Row): StoredSupervisionState {
  return {
    origin: r.origin,
    topic: r.topic,
    key: r.key,
    version: Number(r.version),
    computedAt: r.computed_at.toISOString(),
    data: r.data as never,
    envelope: { payload: r.payload, sig: r.sig },
    receivedAt: r.received_at.toISOString(),
  };
}
