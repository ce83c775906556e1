import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { randomUUID } from 'node:crypto';
import { jurisdictionPrefix } from '@tdx/divisions';
import {
  SHARE_DELIVER_CHUNK,
  sha256Hex,
  type Page,
  type ShareDeliverBody,
  type ShareDeliverChunk,
  type ShareDeliveryView,
  type SharedRow,
} from '@tdx/contracts';
import { NODE_CONFIG, NodeRuntimeConfig } from '../config/node-config';
import { DomainRefusal } from '../common/domain-refusal';
import { Backoff } from '../common/backoff';
import { Wakeup } from '../common/wakeup';
import { sleep } from '../common/sleep';
import { cursors } from '../common/cursor';
import { pageOf } from '../common/paging';
import { actorOf, Principal } from '../access/principal';
import { ExchangeAudit } from '../audit/exchange-audit.service';
import { Channel } from '../channel/channel';
import { ReturnedRowsWriter } from '../returns/returned-rows.writer';
import { ReturnedRowRepository } from '../returns/returned-row.repository';
import { ChunkRefused } from '../returns/return-chunk';
import { ShareRequestRepository, ShareRow } from './share-request.repository';
import { DeliveryRow, ShareDeliveryRepository } from './share-delivery.repository';
import { shareDelivered } from './share-audit';
import { SharesService, parties } from './shares.service';
import { ShareClock } from './share-clock';
import { ShareMetrics } from './share-metrics';

const TICK_MS = 1000;
const ASK_TIMEOUT_MS = 15_000;
/** A failing delivery waits 500 ms, then twice as long after each failure in a row, up to a minute. */
const FIRST_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 60_000;

/** A chunk that did not verify, or an answer that is not a chunk: asked for again. */
class ChunkNotTaken extends Error {}

/**
 * Deliveries of a granted share, at the consumer (docs/protocol.md, "Sharing: deliveries"): the
 * whole grant copied into this node, chunk by chunk through the channel, by the return transfer's
 * machinery. Each chunk's digest is checked, then its rows are checked and written by
 * ReturnedRowsWriter (into returned_row under the share's id) with the delivery's cursor, in one
 * transaction: after a crash of either node the delivery carries on from the last committed chunk,
 * and a chunk is never applied twice nor one skipped. The provider checks the grant on every chunk;
 * a refusal ends the delivery with its rule. A later delivery asks only for the changes after the
 * last completed one (deletions included).
 */
@Injectable()
export class ShareDeliveries implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ShareDelivery');
  private readonly runners = new Map<string, Promise<void>>();
  private readonly wakeup = new Wakeup();
  private running = false;
  private loop: Promise<void> | undefined;

  constructor(
    @Inject(NODE_CONFIG) private readonly config: NodeRuntimeConfig,
    private readonly dataSource: DataSource,
    private readonly requests: ShareRequestRepository,
    private readonly deliveries: ShareDeliveryRepository,
    private readonly writer: ReturnedRowsWriter,
    private readonly received: ReturnedRowRepository,
    private readonly audit: ExchangeAudit,
    private readonly channel: Channel,
    private readonly shares: SharesService,
    private readonly clock: ShareClock,
    private readonly metrics: ShareMetrics,
  ) {}

  onApplicationBootstrap(): void {
    this.running = true;
    this.loop = this.run();
  }

  async onApplicationShutdown(): Promise<void> {
    this.running = false;
    this.wakeup.signal();
    await this.loop;
    await Promise.all(this.runners.values());
  }

  /** Starts a delivery of the grant (or answers the one running): full the first time, then only the changes since the last. */
  async start(id: string, principal: Principal): Promise<ShareDeliveryView> {
    const share = await this.consumerShare(id, principal);
    if (share.state !== 'granted') {
      throw DomainRefusal.refused([
        { rule: 'grant-not-in-force', article: 'Article 10', message: `share ${id} is ${share.state}, not granted: nothing can be delivered` },
      ]);
    }
    const delivery = await this.dataSource.transaction(async (manager) => {
      const last = await this.deliveries.lastDoneSeq(manager, id);
      // A full delivery starts from nothing: rows left by one that never completed (refused) could
      // have been deleted at the provider before this one's head, and would never be told.
      if (last === null && !(await this.deliveries.runningOf(manager, id)) && (await this.received.count(manager, id)) > 0) {
        await this.received.removeAll(manager, id);
      }
      return this.deliveries.create(manager, {
        id: randomUUID(),
        shareId: id,
        provider: share.provider,
        kind: last === null ? 'full' : 'incremental',
        actor: actorOf(principal),
        afterSeq: last ?? 0,
      });
    });
    this.startRunner(delivery.id);
    return view(delivery);
  }

  async list(id: string, principal: Principal, limit: number): Promise<ShareDeliveryView[]> {
    await this.consumerShare(id, principal);
    return (await this.deliveries.list(this.dataSource.manager, id, limit)).map(view);
  }

  async get(id: string, deliveryId: string, principal: Principal): Promise<ShareDeliveryView> {
    await this.consumerShare(id, principal);
    const delivery = await this.deliveries.find(this.dataSource.manager, deliveryId);
    if (!delivery || delivery.shareId !== id) throw DomainRefusal.notFound(`no delivery ${deliveryId} of share ${id}`);
    return view(delivery);
  }

  /** The rows delivered here, in row key order; only while the grant is in force (this end's view of it). */
  async rows(id: string, principal: Principal, q: { region?: string; cursor?: string; limit: number }): Promise<Page<SharedRow>> {
    const share = await this.consumerShare(id, principal);
    if (share.state !== 'granted' || Date.parse(share.expiresAt) <= this.clock.now().getTime()) {
      throw DomainRefusal.forbidden(`share ${id} is ${share.state === 'granted' ? 'expired' : share.state}: its delivered rows are no longer to be used`, {
        rule: 'grant-not-in-force',
        article: 'Article 10',
      });
    }
    const items = share.entry.dataItems.filter((item) => share.items.includes(item.name));
    const rows = await this.received.listRows(this.dataSource.manager, id, items, q.region, cursors.key(q.cursor), q.limit);
    const last = rows[rows.length - 1];
    return pageOf(
      rows.map((r) => ({ rowKey: r.rowKey, regionCode: r.regionCode, data: r.data })),
      q.limit,
      last && cursors.ofKey(last.rowKey),
    );
  }

  private async consumerShare(id: string, principal: Principal): Promise<ShareRow> {
    const share = await this.requests.find(this.dataSource.manager, id, 'consumer');
    if (!share || !this.shares.mayRead(share, principal)) throw DomainRefusal.notFound(`no share request ${id} made at ${this.config.code}`);
    return share;
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        // Deliveries left running by a stop or a crash carry on from their committed cursor.
        for (const d of await this.deliveries.running(this.dataSource.manager)) this.startRunner(d.id);
      } catch (error) {
        this.logger.warn(`delivery scheduler: ${(error as Error).message}`);
      }
      await this.wakeup.sleep(TICK_MS);
    }
  }

  private startRunner(id: string): void {
    if (!this.running || this.runners.has(id)) return;
    this.runners.set(
      id,
      this.runDelivery(id).finally(() => this.runners.delete(id)),
    );
  }

  /** Chunk after chunk until the provider has nothing more; transient failures retried with back-off, a refusal ends it. */
  private async runDelivery(id: string): Promise<void> {
    const backoff = new Backoff(MAX_BACKOFF_MS, FIRST_BACKOFF_MS);
    while (this.running) {
      const delivery = await this.deliveries.find(this.dataSource.manager, id).catch(() => undefined);
      if (delivery && delivery.state !== 'running') return;
      try {
        if (!delivery) throw new Error(`delivery ${id} not readable (database?)`);
        const share = await this.requests.find(this.dataSource.manager, delivery.shareId, 'consumer');
        if (!share) throw new Error(`share ${delivery.shareId} is gone`);
        await this.transfer(delivery, share);
        return;
      } catch (error) {
        if (!this.running) return;
        // A refusal by the provider ends the delivery; an unreachable provider (or one busy) is waited for.
        if (error instanceof DomainRefusal && error.kind !== 'unavailable' && error.kind !== 'conflict') {
          await this.refused(delivery as DeliveryRow, error);
          return;
        }
        const message = (error as Error).message;
        // An attempt that committed chunks before failing starts the doubling over.
        const now = await this.deliveries.find(this.dataSource.manager, id).catch(() => undefined);
        if (now && delivery && now.afterSeq > delivery.afterSeq) backoff.reset();
        this.metrics.deliveryFailures.inc({ provider: delivery?.provider ?? 'unknown' });
        const delay = backoff.next();
        this.logger.warn(`share delivery ${id}: ${message}; retrying in ${delay} ms`);
        await this.deliveries.failedAttempt(this.dataSource.manager, id, message).catch(() => undefined);
        for (const until = Date.now() + delay; this.running && Date.now() < until;) await sleep(Math.min(200, until - Date.now()));
      }
    }
  }

  /**
   * Chunk after chunk from the committed cursor, one asked for ahead: the provider reads and masks
   * the next while this node writes the last (each write still commits in order, with the cursor).
   * A failure leaves the cursor at the last chunk committed; the chunk asked ahead is dropped.
   */
  private async transfer(delivery: DeliveryRow, share: ShareRow): Promise<void> {
    const ask = (after: number, tombstonesAfter: number | null, rowsSoFar: number) =>
      settledLater(this.fetch(delivery, share, { after, tombstonesAfter, rowsSoFar }));
    let rowsSoFar = delivery.rowsDone;
    let next = ask(delivery.afterSeq, delivery.tombstonesAfter, rowsSoFar);
    for (;;) {
      const chunk = await next;
      const following = chunk.more ? ask(chunk.through, chunk.tombstonesAfter, rowsSoFar + chunk.rows) : undefined;
      await this.write(delivery, share, chunk);
      rowsSoFar += chunk.rows;
      if (!following) return this.finish(delivery, share);
      next = following;
    }
  }

  /** One chunk asked for, its answer checked against its schema and its digest (nothing is written yet). */
  private async fetch(
    delivery: DeliveryRow,
    share: ShareRow,
    at: { after: number; tombstonesAfter: number | null; rowsSoFar: number },
  ): Promise<ShareDeliverChunk & { attachment: Buffer }> {
    const body: ShareDeliverBody = { id: share.id, deliveryId: delivery.id, kind: delivery.kind, actor: delivery.actor, ...at };
    const chunk = verified(await this.channel.ask<ShareDeliverChunk>(share.provider, 'share.deliver', body, { timeoutMs: ASK_TIMEOUT_MS }), body);
    const attachment = Buffer.from(chunk.text, 'base64');
    if (sha256Hex(attachment) !== chunk.sha256)
      throw new ChunkNotTaken(`chunk after ${chunk.after} from ${share.provider} does not match its digest: refused, asked again`);
    return { ...chunk, attachment };
  }

  /** The chunk's lines checked (checkChunk: the grant's regions, the range, the count), then its rows and the cursor in one transaction. */
  private async write(delivery: DeliveryRow, share: ShareRow, chunk: ShareDeliverChunk & { attachment: Buffer }): Promise<void> {
    try {
      await this.writer.apply(
        { id: delivery.id, requestId: share.id, kind: delivery.kind },
        { anyOf: share.regions.map((r) => jurisdictionPrefix(r)) },
        { after: chunk.after, through: chunk.through, rows: chunk.rows, attachment: chunk.attachment },
        undefined,
        this.deliveries.cursor(delivery.id, chunk.tombstonesAfter),
      );
      this.metrics.deliveryRows.inc({ provider: share.provider }, chunk.rows);
    } catch (error) {
      if (error instanceof ChunkRefused) throw new ChunkNotTaken(`chunk after ${chunk.after} from ${share.provider} refused: ${error.message}`);
      throw error;
    }
  }

  /** The provider had nothing more: done, and audited once with what the delivery brought. */
  private async finish(delivery: DeliveryRow, share: ShareRow): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const done = await this.deliveries.end(manager, delivery.id, 'done', null, null);
      if (!done) return;
      this.metrics.deliveriesEnded.inc({ state: 'done' });
      await this.audit.record(
        shareDelivered(done.actor, share.id, 'done', { ...parties(share), delivery: done.id, kind: done.kind, rows: done.rowsDone, through: done.afterSeq }),
        manager,
      );
      this.logger.log(
        `share delivery ${done.id} (${done.kind}) of ${share.id} from ${share.provider} done: ${done.rowsDone} rows up to change ${done.afterSeq}`,
      );
    });
  }

  /** The provider refused (grant revoked or expired, entry retired, not shared any more): the delivery ends with its rule. */
  private async refused(delivery: DeliveryRow, error: DomainRefusal): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const ended = await this.deliveries.end(manager, delivery.id, 'refused', error.rule ?? error.kind, error.message);
      if (!ended) return;
      this.metrics.deliveriesEnded.inc({ state: 'refused' });
      const share = await this.requests.find(manager, delivery.shareId, 'consumer');
      await this.audit.record(
        shareDelivered(ended.actor, delivery.shareId, 'refused', {
          ...(share ? parties(share) : { provider: ended.provider, consumer: this.config.code }),
          delivery: ended.id,
          kind: ended.kind,
          rows: ended.rowsDone,
          rule: ended.rule ?? undefined,
          message: error.message.slice(0, 300),
        }),
        manager,
      );
    });
    this.logger.warn(`share delivery ${delivery.id} of ${delivery.shareId} refused by ${delivery.provider}: ${error.message}`);
  }
}

/** The answer fits its schema and answers this ask; otherwise it is not taken (asked again). */
function verified(answer: ShareDeliverChunk, asked: ShareDeliverBody): ShareDeliverChunk {
  const problem = SHARE_DELIVER_CHUNK(answer, 'chunk');
  if (problem) throw new ChunkNotTaken(`the provider's answer is not a chunk: ${problem}`);
  if (answer.id !== asked.id || answer.after !== asked.after || answer.through < answer.after) throw new ChunkNotTaken('the chunk answers another ask');
  if (asked.tombstonesAfter !== null && answer.tombstonesAfter !== asked.tombstonesAfter)
    throw new ChunkNotTaken('the chunk bounds deletions differently from the delivery');
  return answer;
}

function view(d: DeliveryRow): ShareDeliveryView {
  const { tombstonesAfter: _, ...rest } = d;
  return rest;
}

/** The promise, marked as handled: a failure while it waits its turn is not an unhandled rejection; it still rejects where awaited. */
function settledLater<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}
