import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { jurisdictionPrefix } from '@tdx/divisions';
import {
  CHANNEL_MAX_BYTES,
  SHARE_DECISION_BODY,
  SHARE_DELIVER_BODY,
  sha256Hex,
  type ShareDeliverBody,
  type ShareDeliverChunk,
  SHARE_END_BODY,
  SHARE_QUERY_BODY,
  SHARE_REQUEST_BODY,
  type Schema,
  type ShareDecisionBody,
  type ShareEndBody,
  type ShareHistoryEvent,
  type ShareQueryAnswer,
  type ShareQueryBody,
  type ShareRequestBody,
} from '@tdx/contracts';
import { NODE_CONFIG, NodeRuntimeConfig } from '../config/node-config';
import { DomainRefusal } from '../common/domain-refusal';
import { cursors } from '../common/cursor';
import { CatalogEntryRepository } from '../catalog/catalog-entry.repository';
import { DatasetRowRepository } from '../datasets/dataset-row.repository';
import { maskPlan } from '../datasets/masking';
import { ExchangeAudit } from '../audit/exchange-audit.service';
import { Channel, ChannelCall, DurableCall } from '../channel/channel';
import { NatsLink } from '../core/nats-link';
import { cutChunk } from '../returns/return-chunk';
import { ReturnedRowRepository } from '../returns/returned-row.repository';
import type { ChunkSource } from '../datasets/dataset-changes.sql';
import type { PoolClient } from 'pg';
import { ShareClock, ShareDeadlines } from './share-clock';
import { ShareRequestRepository } from './share-request.repository';
import { entryRefusal, grantNotInForce, queryOutsideGrant, requestRefusals } from './share-rules';
import { shareDelivered, shareMessageRefused, shareQueried, shareStateChanged } from './share-audit';
import { entrySummary } from './share-views';
import { parties } from './shares.service';

/** Rows per delivery chunk at most; a chunk is also cut to fit the channel (chunkBudget). */
export const DELIVERY_CHUNK_ROWS = 2000;

/**
 * The sharing protocol's receiving side (docs/protocol.md, "Sharing"). At the provider: a request
 * re-validated against its own entry (the authority) and decided by share type, a withdrawal, and
 * every query, whose grant is checked on every call. At the consumer: decisions and revocations,
 * mirrored. Every body is hostile input until its schema passes, and the sender must be the node
 * the request names at that end.
 */
@Injectable()
export class ShareMessages implements OnModuleInit {
  private readonly logger = new Logger('Sharing');

  constructor(
    @Inject(NODE_CONFIG) private readonly config: NodeRuntimeConfig,
    private readonly dataSource: DataSource,
    private readonly requests: ShareRequestRepository,
    private readonly entries: CatalogEntryRepository,
    private readonly rows: DatasetRowRepository,
    private readonly audit: ExchangeAudit,
    private readonly channel: Channel,
    private readonly clock: ShareClock,
    private readonly deadlines: ShareDeadlines,
    private readonly nats: NatsLink,
    private readonly delivered: ReturnedRowRepository,
  ) {}

  onModuleInit(): void {
    this.channel.receive('share.request', (manager, call) => this.receiveRequest(manager, this.checked(call, 'share.request', SHARE_REQUEST_BODY)));
    this.channel.receive('share.decision', (manager, call) => this.receiveDecision(manager, this.checked(call, 'share.decision', SHARE_DECISION_BODY)));
    this.channel.receive('share.revoke', (manager, call) => this.receiveEnd(manager, 'consumer', this.checked(call, 'share.revoke', SHARE_END_BODY)));
    this.channel.receive('share.withdraw', (manager, call) => this.receiveEnd(manager, 'provider', this.checked(call, 'share.withdraw', SHARE_END_BODY)));
    this.channel.answer('share.query', (call) => this.serveQuery(this.checked(call, 'share.query', SHARE_QUERY_BODY)));
    this.channel.answer('share.deliver', (call) => this.serveDelivery(this.checked(call, 'share.deliver', SHARE_DELIVER_BODY)));
  }

  /** The body fits its schema, or the message is refused for good (asking again cannot help). */
  private checked<B>(call: ChannelCall | DurableCall, kind: string, schema: Schema<B>): ChannelCall<B> {
    const problem = schema(call.body, 'body');
    if (problem) {
      this.audit.detach(shareMessageRefused(call.from, kind, problem));
      throw new DomainRefusal('invalid', problem, { permanent: true });
    }
    return call as ChannelCall<B>;
  }

  /** At the provider: stored once; decided at once unless a person must decide (conditional). */
  private async receiveRequest(manager: EntityManager, call: ChannelCall<ShareRequestBody>): Promise<void> {
    const b = call.body;
    if (b.requested.by !== call.from)
      throw this.refusedMessage(call.from, 'share.request', `the request is signed by ${call.from} but names ${b.requested.by}`);
    if (await this.requests.find(manager, b.id, 'provider')) return;
    const entry = await this.entries.findById(manager, b.entryId);
    const now = this.clock.now();
    const at = now.toISOString();
    const base = {
      id: b.id,
      side: 'provider' as const,
      entryId: b.entryId,
      provider: this.config.code,
      consumer: call.from,
      consumerInstitution: b.consumerInstitution,
      items: b.items,
      regions: b.regions,
      purpose: b.purpose,
      expiresAt: b.expiresAt,
      createdAt: b.createdAt,
      updatedAt: at,
    };
    if (!entry || entry.origin !== this.config.code) {
      // Nothing to keep a row about: the consumer is told the request was rejected.
      const event = this.event(at, 'rejected', `entry ${b.entryId} is not registered at ${this.config.code}`);
      return this.decideBack(manager, call.from, b.entryId, {
        id: b.id,
        state: 'rejected',
        reason: event.note,
        rule: 'entry-not-here',
        expiresAt: b.expiresAt,
        deadline: null,
        events: [event],
      });
    }
    // Re-validated here, the authority; the expiry is checked against the time the consumer asked, so a delivery delayed by an outage is not refused for it.
    const refusals = requestRefusals(entry, b, new Date(Math.min(now.getTime(), Date.parse(b.createdAt))));
    let state: ShareHistoryEvent['state'] = 'requested';
    let reason: string | null = null;
    let rule: string | null = null;
    const events: ShareHistoryEvent[] = [b.requested];
    if (refusals.length > 0) {
      state = 'rejected';
      reason = refusals.map((r) => `${r.message} (${r.rule}, ${r.article})`).join('; ');
      rule = refusals[0].rule;
      events.push(this.event(at, 'rejected', reason));
    } else if (entry.shareType === 'unconditional') {
      state = 'granted';
      events.push(this.event(at, 'granted', `unconditional sharing: granted at once, until ${b.expiresAt}`));
    }
    const deadline = state === 'requested' ? (this.deadlines.deadline(entry.shareType, new Date(b.createdAt))?.toISOString() ?? null) : null;
    await this.requests.insert(manager, { ...base, state, reason, rule, deadline, history: events, entry: entrySummary(entry) });
    await this.audit.record(
      shareStateChanged(`node:${call.from}`, b.id, 'requested', { entryId: b.entryId, provider: this.config.code, consumer: call.from }),
      manager,
    );
    if (state !== 'requested') {
      await this.decideBack(manager, call.from, b.entryId, { id: b.id, state, reason, rule, expiresAt: b.expiresAt, deadline: null, events: events.slice(1) });
    }
    this.logger.log(`share request ${b.id} from ${call.from} for entry ${b.entryId}: ${state}`);
  }

  private async decideBack(manager: EntityManager, consumer: string, entryId: string, body: ShareDecisionBody): Promise<void> {
    await this.channel.enqueue(manager, consumer, 'share.decision', body);
    await this.audit.record(
      shareStateChanged(`node:${this.config.code}`, body.id, body.state, {
        entryId,
        provider: this.config.code,
        consumer,
        reason: body.reason,
        rule: body.rule,
      }),
      manager,
    );
  }

  /** At the consumer: the provider's decision, from the provider only; a final state is never left. */
  private async receiveDecision(manager: EntityManager, call: ChannelCall<ShareDecisionBody>): Promise<void> {
    const b = call.body;
    const row = await this.requests.find(manager, b.id, 'consumer', true);
    if (!row || row.provider !== call.from) throw this.refusedMessage(call.from, 'share.decision', `no share request ${b.id} made here to ${call.from}`);
    // When this node is the provider too, the provider's row is already in the decided state.
    if (
      await this.requests.transition(manager, b.id, 'consumer', {
        state: b.state,
        reason: b.reason,
        rule: b.rule,
        expiresAt: b.expiresAt,
        deadline: null,
        events: b.events,
      })
    ) {
      await this.audit.record(shareStateChanged(`node:${call.from}`, b.id, b.state, { ...parties(row), reason: b.reason, rule: b.rule }), manager);
    }
  }

  /** A revocation (at the consumer, from the provider) or a withdrawal (at the provider, from the consumer). */
  private async receiveEnd(manager: EntityManager, side: 'consumer' | 'provider', call: ChannelCall<ShareEndBody>): Promise<void> {
    const b = call.body;
    const kind = side === 'consumer' ? 'share.revoke' : 'share.withdraw';
    const row = await this.requests.find(manager, b.id, side, true);
    const other = row && (side === 'consumer' ? row.provider : row.consumer);
    const wanted = side === 'consumer' ? 'revoked' : 'withdrawn';
    if (!row || other !== call.from || b.event.state !== wanted || b.event.by !== call.from) {
      throw this.refusedMessage(call.from, kind, `no share request ${b.id} of ${call.from} here to be ${wanted}`);
    }
    if (await this.requests.transition(manager, b.id, side, { state: wanted, reason: b.event.note, deadline: null, events: [b.event] })) {
      await this.audit.record(shareStateChanged(`node:${call.from}`, b.id, wanted, { ...parties(row), reason: b.event.note }), manager);
      if (side === 'consumer') await this.endDeliveries(manager, b.id, b.event.note);
    }
  }

  /**
   * At the provider, on every call: the grant exists, was given to the sender, is in force (not
   * revoked, not expired: a time check), and the query stays within it. Refusals are audited and
   * nothing is served; then the rows, masked by grade, and an audit record of what left.
   */
  private async serveQuery(call: ChannelCall<ShareQueryBody>): Promise<ShareQueryAnswer> {
    const q = call.body;
    const manager = this.dataSource.manager;
    const asked = { consumer: call.from, provider: this.config.code, fields: q.fields, regions: q.regions };
    const refuse = async (refusal: DomainRefusal): Promise<never> => {
      await this.audit.record(shareQueried(`node:${call.from}`, q.id, 'refused', { ...asked, rule: refusal.rule, message: refusal.message.slice(0, 300) }));
      this.logger.warn(`refused share.query of ${q.id} from ${call.from}: ${refusal.message}`);
      throw refusal;
    };
    const grant = await this.requests.find(manager, q.id, 'provider');
    const now = this.clock.now();
    const notInForce = grantNotInForce(grant, call.from, now);
    if (notInForce || !grant) return refuse(DomainRefusal.forbidden(notInForce ?? 'no grant', { rule: 'grant-not-in-force', article: 'Article 10' }));
    const entry = await this.entries.findById(manager, grant.entryId);
    const gone = entry ? entryRefusal(entry) : { rule: 'entry-gone', article: 'Article 10', message: `entry ${grant.entryId} is no longer held here` };
    if (gone || !entry)
      return refuse(DomainRefusal.forbidden(`grant ${q.id} no longer serves: ${gone?.message}`, { rule: gone?.rule, article: gone?.article }));
    const outside = queryOutsideGrant(grant, entry, q);
    if (outside.length > 0) return refuse(DomainRefusal.refused(outside));
    let afterKey: string | null;
    try {
      afterKey = cursors.key(q.cursor ?? undefined) ?? null;
    } catch (error) {
      return refuse(error as DomainRefusal);
    }
    const regions = q.regions ?? grant.regions;
    const items = await this.rows.sharedRows(manager, entry, {
      mask: maskPlan(entry.grade, entry.dataItems),
      regionPrefixes: regions.map((r) => jurisdictionPrefix(r)),
      filters: Object.entries(q.filters ?? {}).map(([k, v]) => [k, String(v)]),
      fields: q.fields,
      afterKey,
      limit: q.limit,
    });
    const last = items[items.length - 1];
    await this.audit.record(shareQueried(`node:${call.from}`, q.id, 'served', { ...asked, regions, rows: items.length, user: q.actor }));
    return { id: q.id, fields: q.fields, regions, items, nextCursor: items.length === q.limit && last ? cursors.ofKey(last.rowKey) : null };
  }

  /**
   * At the consumer, once a grant is revoked: a delivery running stops (its next chunk would be
   * refused anyway), and the rows delivered are removed, as a revoked return's are.
   */
  private async endDeliveries(manager: EntityManager, id: string, reason: string | null): Promise<void> {
    await manager.query(
      `UPDATE share_delivery SET state = 'refused', rule = 'grant-not-in-force', last_error = $2, finished_at = now() WHERE share_id = $1 AND state = 'running'`,
      [id, `the grant was revoked${reason ? `: ${reason}` : ''}`],
    );
    const removed = await this.delivered.removeAll(manager, id);
    if (removed > 0) this.logger.log(`share ${id} revoked: the ${removed} rows delivered here were removed`);
  }

  /**
   * At the provider, on every chunk of a delivery: the grant checked as for a query (in force,
   * given to the sender, its entry still shared), then the next changes of the granted rows after
   * the consumer's cursor, read and masked as a return reads them (chunkCopySql: the grant's regions,
   * only its items), in change order, cut to fit the channel (cutChunk). A refusal is audited (it ends the delivery); a served
   * delivery is audited once, at its last chunk.
   */
  private async serveDelivery(call: ChannelCall<ShareDeliverBody>): Promise<ShareDeliverChunk> {
    const b = call.body;
    const manager = this.dataSource.manager;
    const asked = { consumer: call.from, provider: this.config.code, delivery: b.deliveryId, kind: b.kind, user: b.actor };
    const refuse = async (refusal: DomainRefusal): Promise<never> => {
      await this.audit.record(shareDelivered(`node:${call.from}`, b.id, 'refused', { ...asked, rule: refusal.rule, message: refusal.message.slice(0, 300) }));
      this.logger.warn(`refused share.deliver of ${b.id} from ${call.from}: ${refusal.message}`);
      throw refusal;
    };
    const grant = await this.requests.find(manager, b.id, 'provider');
    const notInForce = grantNotInForce(grant, call.from, this.clock.now());
    if (notInForce || !grant) return refuse(DomainRefusal.forbidden(notInForce ?? 'no grant', { rule: 'grant-not-in-force', article: 'Article 10' }));
    const entry = await this.entries.findById(manager, grant.entryId);
    const gone = entry ? entryRefusal(entry) : { rule: 'entry-gone', article: 'Article 10', message: `entry ${grant.entryId} is no longer held here` };
    if (gone || !entry)
      return refuse(DomainRefusal.forbidden(`grant ${b.id} no longer serves: ${gone?.message}`, { rule: gone?.rule, article: gone?.article }));
    // Change sequences of one dataset are drawn under its entry's lock, in commit order: nothing can later appear at or below the head.
    const head = Math.max(await this.rows.lastChangeSeq(manager, entry.id), b.after);
    const tombstonesAfter = b.tombstonesAfter ?? (b.kind === 'full' ? head : 0);
    const source = {
      entryId: entry.id,
      jurisdiction: { anyOf: grant.regions.map((r) => jurisdictionPrefix(r)) },
      items: grant.items,
      after: b.after,
      upto: head,
      tombstonesAfter,
      mask: maskPlan(entry.grade, entry.dataItems),
    };
    // Unplanned (a delivery asks chunk after chunk), so read in change order at once and cut by size:
    // readChunk's unordered first read suits planned ranges only, here it read most chunks twice.
    const built = cutChunk(await this.readRange({ ...source, ordered: true, limit: DELIVERY_CHUNK_ROWS }), await this.chunkBudget());
    const more = built.cut || built.rows === DELIVERY_CHUNK_ROWS;
    const through = more && built.lastSeq !== null ? built.lastSeq : head;
    if (!more) {
      // The delivery's last chunk: recorded once, however often it is asked for again (a consumer that crashed before committing it).
      await this.dataSource.transaction(async (m) => {
        const rows = b.rowsSoFar + built.rows;
        const first = await m.query(
          `INSERT INTO share_delivery_served (delivery_id, share_id, consumer, rows, through_seq) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (delivery_id) DO NOTHING RETURNING delivery_id`,
          [b.deliveryId, b.id, call.from, rows, through],
        );
        if (first.length > 0) await this.audit.record(shareDelivered(`node:${call.from}`, b.id, 'served', { ...asked, rows, through }), m);
      });
    }
    return { id: b.id, after: b.after, through, tombstonesAfter, rows: built.rows, sha256: sha256Hex(built.text), text: built.text.toString('base64'), more };
  }

  private async readRange(source: ChunkSource): Promise<Buffer> {
    const runner = this.dataSource.createQueryRunner();
    try {
      return await this.rows.copyRange((await runner.connect()) as PoolClient, source);
    } finally {
      await runner.release();
    }
  }

  /** Bytes of COPY text a chunk may take: it travels base64 (4/3) inside a signed channel answer under the server's max_payload. */
  private async chunkBudget(): Promise<number> {
    const serverMax = (await this.nats.ready()).nc.info?.max_payload ?? 1_048_576;
    return Math.floor(Math.min(CHANNEL_MAX_BYTES, serverMax - 1024) * 0.7 * 0.75);
  }

  private event(at: string, state: ShareHistoryEvent['state'], note: string | null): ShareHistoryEvent {
    return { at, state, by: this.config.code, actor: `node:${this.config.code}`, note };
  }

  private refusedMessage(from: string, kind: string, message: string): DomainRefusal {
    this.audit.detach(shareMessageRefused(from, kind, message));
    return DomainRefusal.forbidden(message, { permanent: true });
  }
}
