import { isDeepStrictEqual } from 'node:util';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { SupervisionState, SupervisionTopic, SupervisionTopicData, supervisionStateProblem } from '@tdx/contracts';
import { jurisdictionPrefix } from '@tdx/divisions';
import { NODE_CONFIG, NodeRuntimeConfig } from '../config/node-config';
import { OutboxRepository } from '../outbox/outbox.repository';
import { OutboxSignal } from '../outbox/outbox-signal';
import { StoredSupervisionState, SupervisionStateRepository } from './supervision-state.repository';

export type PublishOutcome = { kind: 'published'; state: SupervisionState } | { kind: 'unchanged'; version: number };

/**
 * Publishes this node's supervision figures and reads its subtree's. A state is stored here and
 * queued, signed, for the parent in one transaction (the outbox), so a figure is never shown here
 * and lost on the way up. A state equal to the one held is not published again: a daily check of
 * unchanged data sends nothing.
 */
@Injectable()
export class SupervisionStates {
  constructor(
    @Inject(NODE_CONFIG) private readonly config: NodeRuntimeConfig,
    private readonly dataSource: DataSource,
    private readonly repository: SupervisionStateRepository,
    private readonly outbox: OutboxRepository,
    private readonly signal: OutboxSignal,
  ) {}

  /** Publishes in its own transaction, and wakes the relay once it commits. */
  async publishNow<T extends SupervisionTopic>(topic: T, key: string, data: SupervisionTopicData[T]): Promise<PublishOutcome> {
    const outcome = await this.dataSource.transaction((manager) => this.publish(manager, topic, key, data));
    if (outcome.kind === 'published') this.signal.notify();
    return outcome;
  }

  /**
   * Publishes inside the caller's transaction (atomic with the change the figure describes); the
   * caller calls `relay()` after commit. Throws on data its own topic's schema refuses: a bug here,
   * which must not reach the parent (the parent would refuse it).
   */
  async publish<T extends SupervisionTopic>(manager: EntityManager, topic: T, key: string, data: SupervisionTopicData[T]): Promise<PublishOutcome> {
    const held = await this.repository.ownForUpdate(manager, this.config.code, topic, key);
    if (held && isDeepStrictEqual(held.data, JSON.parse(JSON.stringify(data)))) return { kind: 'unchanged', version: held.version };
    // Milliseconds since 1970, or one more than held: strictly increasing even if the clock steps back.
    const version = Math.max(Date.now(), (held?.version ?? 0) + 1);
    const state: SupervisionState = { origin: this.config.code, topic, key, version, computedAt: new Date().toISOString(), data };
    const problem = supervisionStateProblem(state);
    if (problem) throw new Error(`supervision state ${topic}/${key} does not fit its schema: ${problem}`);
    const [sealed] = await this.outbox.seal(manager, 'supervision.state', [state]);
    await this.repository.upsert(manager, state, sealed.envelope);
    await this.outbox.appendForwardMany(manager, [sealed]);
    return { kind: 'published', state };
  }

  /** Wakes the relay after a transaction that published. */
  relay(): void {
    this.signal.notify();
  }

  /** A topic's states from this node's subtree (`within`: a division code, this node's own by default). */
  find(q: {
    topic: SupervisionTopic;
    within?: string;
    keyPrefix?: string;
    limit: number;
    after?: { origin: string; key: string };
  }): Promise<StoredSupervisionState[]> {
    return this.repository.find(this.dataSource.manager, {
      topic: q.topic,
      withinPrefix: jurisdictionPrefix(q.within ?? this.config.code),
      keyPrefix: q.keyPrefix,
      limit: q.limit,
      after: q.after,
    });
  }

  get(topic: SupervisionTopic, origin: string, key: string): Promise<StoredSupervisionState | undefined> {
    return this.repository.get(this.dataSource.manager, topic, origin, key);
  }
}
