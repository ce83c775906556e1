import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { PoolClient } from 'pg';
import { headers as natsHeaders, Msg, Subscription } from '@nats-io/transport-node';
import { isDivisionCode, isStrictlyBelow, levelOf } from '@tdx/divisions';
import {
  EntryState,
  newReturnNonce,
  openReturnMessage,
  RETURN_MAX_AGE_MS,
  RETURN_SIG_HEADER,
  ReturnChunk,
  ReturnHistoryEvent,
  ReturnMessage,
  ReturnMessageError,
  ReturnPlan,
  ReturnPlanAsk,
  ReturnPull,
  returnJurisdiction,
  ReturnRequestState,
  ReturnState,
  ReturnSubtreeAsk,
  ReturnSubtreePage,
  sealReturnMessage,
  senderOfSubject,
  sha256Hex,
  verifyReturnMessage,
} from '@tdx/contracts';
import { NODE_CONFIG, NodeRuntimeConfig } from '../config/node-config';
import { CatalogEntryRepository } from '../catalog/catalog-entry.repository';
import { NodeRegistryRepository } from '../identity/node-registry.repository';
import { NatsLink } from '../core/nats-link';
import { TrustListService } from '../identity/trust-list.service';
import { ReplayGuard } from '../common/replay-guard';
import { RequestLimits } from '../core/nats-request-limits';
import { maskPlan } from '../datasets/masking';
import { readChunk } from './return-chunk';
import { OPEN_STATES, RequestRow, ReturnRequestRepository, wireState } from './return-request.repository';
import type { ChunkSource } from '../datasets/dataset-changes.sql';
import { DatasetRowRepository } from '../datasets/dataset-row.repository';
import { ExchangeAudit } from '../audit/exchange-audit.service';
import { returnChunkServed, returnEnded, returnRefused, returnRequestReceived } from './return-audit';
import { unshareableReason } from './return-lifecycle';
import { DomainRefusal } from '../common/domain-refusal';
import { httpAnswerOf } from '../common/http-answer';

/** Rows per chunk at most; the chunk is also cut to stay under the server's max_payload. */
const CHUNK_ROWS = 5000;
/** Planned chunk size, as a share of max_payload: the plan estimates sizes, the pull cuts at MAX_SHARE. */
const PLAN_SHARE = 0.8;
const MAX_SHARE = 0.9;
/** A chunk line's bytes beyond the row's data: key, region, sequence, separators. */
const ROW_OVERHEAD_BYTES = 48;
/**
 * Nonces remembered per requesting node within RETURN_MAX_AGE_MS (about 100 bytes each). A
 * transfer sends a few messages a second; a node sending more than this in the window is told to
 * retry (503) rather than have a nonce forgotten.
 */
const NONCES_PER_NODE = 20_000;
/**
 * How often the holder looks for requests whose entry was retired or stopped being shared, and
 * ends them. A receiver's next contact ends them too, at once: this is for the holder's own view.
 */
const SWEEP_MS = 10_000;

/**
 * The holding side: answers return requests, status queries and chunk pulls addressed to this
 * node. Each request must be signed by a known descendant; each answer is signed by this node.
 * Rows are selected in SQL by the requester's jurisdiction, and the grant is checked on every pull.
 */
@Injectable()
export class ReturnHolderService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ReturnHolder');
  private subscription: Subscription | undefined;
  private sweeper: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly replays = new ReplayGuard(RETURN_MAX_AGE_MS, NONCES_PER_NODE);

  constructor(
    @Inject(NODE_CONFIG) private readonly config: NodeRuntimeConfig,
    private readonly dataSource: DataSource,
    private readonly nats: NatsLink,
    private readonly registry: NodeRegistryRepository,
    private readonly entries: CatalogEntryRepository,
    private readonly requests: ReturnRequestRepository,
    private readonly datasetRows: DatasetRowRepository,
    private readonly trust: TrustListService,
    private readonly audit: ExchangeAudit,
    private readonly requestLimits: RequestLimits,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.level === 'county') return;
    void this.nats.ready().then(({ nc, names }) => {
      if (this.stopped) return;
      // A queue group: of several replicas of this node, one answers each return message.
      this.subscription = nc.subscribe(names.returnWildcard(this.config.code), {
        queue: names.replicaGroup(this.config.code),
        callback: (error, msg) => {
          if (!error) void this.answer(msg);
        },
      });
    });
    this.sweeper = setInterval(() => {
      this.endUnshareable().catch((error) => this.logger.warn(`ending requests of retired entries: ${(error as Error).message}`));
    }, SWEEP_MS);
    this.sweeper.unref();
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    clearInterval(this.sweeper);
    this.subscription?.unsubscribe();
  }

  /**
   * Ends every pending or granted request whose entry is no longer an active, shared data entry of
   * this node (retired, share type changed to `none`, gone): state `ended`, the reason in the
   * history, an audit record. Returns how many ended.
   */
  async endUnshareable(): Promise<number> {
    let ended = 0;
    for (const { entryId, ids } of await this.requests.openIncomingByEntry(this.dataSource.manager)) {
      const reason = unshareableReason(await this.entries.findById(this.dataSource.manager, entryId), this.config.code, entryId);
      if (!reason) continue;
      for (const id of ids) if (await this.endIncoming(id, 'ended', reason, this.config.code, OPEN_STATES)) ended++;
    }
    return ended;
  }

  /**
   * At the holder: a pending or granted request ends (`from`: the states it may end from), with
   * its reason in the history and the audit log, in one transaction. False when it was not in
   * one of those states (ended already, or decided otherwise meanwhile).
   */
  async endIncoming(
    id: string,
    state: Extract<ReturnState, 'ended' | 'revoked' | 'withdrawn'>,
    reason: string | null,
    by: string,
    from: readonly ReturnState[],
  ): Promise<boolean> {
    const done = await this.dataSource.transaction(async (manager) => {
      const request = await this.requests.findRequest(manager, id, true);
      if (!request || request.direction !== 'incoming' || !from.includes(request.state)) return false;
      const event: ReturnHistoryEvent = { at: new Date().toISOString(), state, by, note: reason };
      await this.requests.decide(manager, id, state, reason, event);
      await this.audit.record(returnEnded(request.requester, id, state, by, reason), manager);
      return true;
    });
    if (done) this.logger.log(`return request ${id} ${state} by ${by}${reason ? `: ${reason}` : ''}`);
    return done;
  }

  /**
   * Every message is checked against its kind's schema before anything else, then authenticated,
   * then handled. A refusal is answered (to the node the subject names when the header does not
   * fit), echoing the request's nonce when it had one.
   */
  private async answer(msg: Msg): Promise<void> {
    // Before any work and without an audit record, so that a flood costs little more than the signed refusal.
    const tooMany = this.requestLimits.refusal('return', senderOfSubject(msg.subject));
    if (tooMany) return this.reply(msg, senderOfSubject(msg.subject), undefined, 'return.error', DomainRefusal.unavailable(tooMany).toWire());
    let requester = senderOfSubject(msg.subject);
    let nonce: string | undefined;
    let kind: string | undefined;
    try {
      const { message } = openReturnMessage(msg.data);
      requester = message.from;
      nonce = message.nonce;
      kind = message.kind;
      await this.authenticate(msg, message);
      switch (message.kind) {
        case 'return.request':
          return this.reply(msg, requester, nonce, 'return.state', await this.receiveRequest(requester, message.body));
        case 'return.status':
          return this.reply(msg, requester, nonce, 'return.state', wireState(await this.status(requester, message.body.id)));
        case 'return.withdraw':
          return this.reply(msg, requester, nonce, 'return.state', wireState(await this.withdraw(requester, message.body)));
        case 'return.subtree':
          return this.reply(msg, requester, nonce, 'return.requests', await this.subtree(requester, message.body));
        case 'return.plan':
          return this.reply(msg, requester, nonce, 'return.ranges', await this.plan(requester, message.body));
        case 'return.pull': {
          const { chunk, attachment } = await this.pull(requester, message.body);
          return this.reply(msg, requester, nonce, 'return.chunk', chunk, attachment);
        }
        default:
          throw new DomainRefusal('invalid', `${message.kind} is not a request`, { permanent: true });
      }
    } catch (caught) {
      let error = caught;
      if (error instanceof ReturnMessageError) {
        nonce = error.nonce;
        error = new DomainRefusal('invalid', error.reason, { permanent: true });
      }
      const refusal = error instanceof DomainRefusal ? error : DomainRefusal.unavailable('the holder could not answer; try again');
      // A refusal is about the sender's message: one line. Anything else is this node's own trouble.
      if (error instanceof DomainRefusal) this.logger.warn(`refused ${kind ?? 'a return message'} from ${requester}: ${refusal.kind}: ${refusal.message}`);
      else this.logger.warn(`return message failed: ${(error as Error).stack}`);
      if (isDivisionCode(requester)) this.reply(msg, requester, nonce, 'return.error', refusal.toWire());
      // The audit log records every refusal's outcome as the status HTTP gives that kind.
      this.audit.detach(returnRefused(this.config.code, requester, kind, httpAnswerOf(refusal).status, refusal.message));
    }
  }

  /**
   * Signed by an approved node below this one, with the key the trust list names for it (none
   * while the list is missing or expired: fail closed); addressed here; fresh, and not seen before.
   */
  private async authenticate(msg: Msg, message: ReturnMessage): Promise<void> {
    const forbidden = (text: string) => DomainRefusal.forbidden(text);
    if (message.to !== this.config.code) throw forbidden(`the message is addressed to ${message.to}, not ${this.config.code}`);
    // The subject names the sender and NATS lets a node send only as itself (deploy/nats permissions).
    const sender = senderOfSubject(msg.subject);
    if (message.from !== sender) throw forbidden(`the message is sent as ${sender} but signed as ${message.from}`);
    if (!isStrictlyBelow(message.from, this.config.code)) throw forbidden(`${message.from} is not below ${this.config.code} (Article 9)`);
    const known = await this.registry.knownNode(this.dataSource.manager, message.from);
    if (!known) throw forbidden(`${message.from} has not joined below ${this.config.code}`);
    if (known.status !== 'approved') throw forbidden(`${message.from} is ${known.status} at ${this.config.code}`);
    const trusted = this.trust.keyOf(message.from);
    if (trusted.kind === 'removed') throw forbidden(trusted.reason);
    if (trusted.kind !== 'trusted') {
      throw DomainRefusal.unavailable(`${this.config.code} cannot check ${message.from}'s signature: ${trusted.reason}`);
    }
    const sig = msg.headers?.get(RETURN_SIG_HEADER);
    if (!trusted.keys.some((key) => verifyReturnMessage(msg.data, sig, key))) {
      throw forbidden(`the message does not carry ${message.from}'s signature`);
    }
    // Only now, with the signature verified, may the message take a place among the sender's nonces.
    const seconds = RETURN_MAX_AGE_MS / 1000;
    switch (this.replays.admit(message.from, message.nonce, message.at)) {
      case 'stale':
        throw forbidden(`the message was sent at ${message.at}, more than ${seconds} s from ${this.config.code}'s clock (a replay, or a clock to set)`);
      case 'replayed':
        throw forbidden(`the message's nonce was used before (a replay)`);
      case 'full':
        throw DomainRefusal.unavailable(`${message.from} sent more messages than ${this.config.code} checks for replays in ${seconds} s; try again`);
      case 'fresh':
        return;
    }
  }

  private reply<K extends ReturnMessage['kind']>(
    msg: Msg,
    to: string,
    re: string | undefined,
    kind: K,
    body: Extract<ReturnMessage, { kind: K }>['body'],
    attachment?: Buffer,
  ): void {
    const { data, sig } = sealReturnMessage(
      { v: 1, kind, from: this.config.code, to, at: new Date().toISOString(), nonce: newReturnNonce(), re, body } as ReturnMessage,
      this.config.signingKey,
      attachment,
    );
    const h = natsHeaders();
    h.set(RETURN_SIG_HEADER, sig);
    msg.respond(data, { headers: h });
  }

  /** Decides a new request by the entry's share type (Article 10); idempotent by request id. */
  private async receiveRequest(requester: string, body: Extract<ReturnMessage, { kind: 'return.request' }>['body']): Promise<ReturnRequestState> {
    if (body.scope === 'subtree' && levelOf(requester) !== 'city') {
      throw DomainRefusal.refused([
        { rule: 'subtree-only-from-city', article: 'Article 9', message: 'only a city may ask for the return of its whole subtree' },
      ]);
    }
    return this.dataSource.transaction(async (manager) => {
      const existing = await this.requests.findRequest(manager, body.id);
      if (existing) {
        if (existing.direction !== 'incoming' || existing.requester !== requester) {
          throw DomainRefusal.conflict(`request ${body.id} exists already`);
        }
        return wireState(existing);
      }
      const entry = await this.heldDataEntry(manager, body.entryId);
      const now = new Date().toISOString();
      const history: ReturnHistoryEvent[] = [{ at: now, state: 'pending', by: requester, note: body.purpose }];
      let state: ReturnRequestState['state'] = 'pending';
      let reason: string | null = null;
      if (entry.shareType === 'none') {
        state = 'refused';
        reason = entry.legalBasis;
        history.push({ at: now, state, by: this.config.code, note: `not shared: ${entry.legalBasis}` });
      } else if (entry.shareType === 'unconditional') {
        state = 'granted';
        history.push({ at: now, state, by: this.config.code, note: 'unconditional sharing: granted at once' });
      }
      const request: ReturnRequestState = {
        id: body.id,
        entryId: entry.id,
        holder: this.config.code,
        requester,
        scope: body.scope,
        purpose: body.purpose,
        state,
        reason,
        history,
        entry: {
          name: entry.name,
          code: entry.code,
          grade: entry.grade,
          shareType: entry.shareType,
          updateCycle: entry.updateCycle,
          dataItems: entry.dataItems,
        },
        createdAt: now,
        updatedAt: now,
      };
      await this.requests.insertRequest(manager, 'incoming', request);
      this.logger.log(`return request ${request.id} from ${requester} for entry ${entry.id} (${body.scope}): ${state}`);
      await this.audit.record(returnRequestReceived(requester, request), manager);
      return request;
    });
  }

  /**
   * The request as it stands, from `requester` only. A pending or granted request whose entry was
   * retired or stopped being shared ends now, so the requester learns it on any contact.
   */
  private async status(requester: string, id: string): Promise<RequestRow> {
    const request = await this.requests.findRequest(this.dataSource.manager, id);
    if (!request || request.direction !== 'incoming' || request.requester !== requester) {
      throw DomainRefusal.notFound(`no return request ${id} from ${requester}`, { permanent: true });
    }
    if (!OPEN_STATES.includes(request.state)) return request;
    const reason = unshareableReason(await this.entries.findById(this.dataSource.manager, request.entryId), this.config.code, request.entryId);
    if (!reason || !(await this.endIncoming(id, 'ended', reason, this.config.code, OPEN_STATES))) return request;
    return (await this.requests.findRequest(this.dataSource.manager, id)) as RequestRow;
  }

  /** The requester withdraws its request, pending or granted; an ended one is answered as it stands. */
  private async withdraw(requester: string, body: { id: string; reason: string | null }): Promise<RequestRow> {
    const request = await this.status(requester, body.id);
    if (OPEN_STATES.includes(request.state)) {
      await this.endIncoming(request.id, 'withdrawn', body.reason ?? 'withdrawn by the requester', requester, OPEN_STATES);
    }
    return this.status(requester, body.id);
  }

  /**
   * Article 9's middle tier: a city sees, read-only, the requests that the nodes below it made
   * here. Only a city asks (a county has nothing below it); only requests from strictly below it.
   */
  private async subtree(requester: string, ask: ReturnSubtreeAsk): Promise<ReturnSubtreePage> {
    if (levelOf(requester) !== 'city') {
      throw DomainRefusal.refused([{ rule: 'subtree-view-at-city', article: 'Article 9', message: "only a city sees its subtree's return requests" }], {
        permanent: true,
      });
    }
    const rows = await this.requests.listBelow(this.dataSource.manager, requester, ask.cursor === null ? 0 : Number(ask.cursor), ask.limit);
    const last = rows[rows.length - 1];
    return { items: rows.map(wireState), nextCursor: rows.length === ask.limit && last ? String(last.rowSeq) : null };
  }

  /**
   * The changes after `after` inside the requester's jurisdiction, split into ranges of change
   * sequence, read in one REPEATABLE READ snapshot (head, ranges and total agree). When there are
   * none, the receiver has caught up: the pass is recorded in the request's history.
   */
  private async plan(requester: string, p: ReturnPlanAsk): Promise<ReturnPlan> {
    const request = await this.grantedRequest(requester, p.requestId);
    const jurisdiction = returnJurisdiction(request.requester, request.scope);
    const budget = await this.payloadBudget(PLAN_SHARE);
    return this.dataSource.transaction('REPEATABLE READ', async (manager) => {
      const entry = await this.heldDataEntry(manager, request.entryId, true);
      const head = await this.datasetRows.lastChangeSeq(manager, entry.id);
      const tombstonesAfter = p.tombstonesAfter ?? head;
      // Rows outside the average are caught by the pull, which cuts a chunk at MAX_SHARE.
      const rowBytes = (await this.datasetRows.averageRowBytes(manager, entry.id)) + ROW_OVERHEAD_BYTES;
      const rowsPerRange = Math.max(1, Math.min(CHUNK_ROWS, Math.floor(budget / rowBytes)));
      const { bounds, total } = await this.datasetRows.planSource(manager, entry.id, jurisdiction, p.after, tombstonesAfter, head, rowsPerRange);
      if (bounds.length === 0) {
        await this.requests.recordSent(manager, request.id, 0, head, true, this.config.code);
        // A realtime grant asks every 5 s: a line each time would bury the log.
        this.logger.debug(`return ${request.id}: ${requester} is up to date at change ${head}`);
      }
      return {
        requestId: request.id,
        after: p.after,
        head,
        tombstonesAfter,
        total,
        bounds,
      };
    });
  }

  /**
   * One chunk: the changes in (after, upto] inside the requester's jurisdiction, masked, in change
   * order, as COPY text. The grant and the entry are checked again on every pull: a refused or
   * retired source sends nothing more. A chunk cut short (by size) tells the receiver where it ended.
   */
  private async pull(requester: string, p: ReturnPull): Promise<{ chunk: ReturnChunk; attachment: Buffer }> {
    const request = await this.grantedRequest(requester, p.requestId);
    const jurisdiction = returnJurisdiction(request.requester, request.scope);
    const budget = await this.payloadBudget(MAX_SHARE);
    const manager = this.dataSource.manager;
    const entry = await this.heldDataEntry(manager, request.entryId, true);
    const source = {
      entryId: entry.id,
      jurisdiction,
      after: p.after,
      upto: p.upto,
      tombstonesAfter: p.tombstonesAfter,
      mask: maskPlan(entry.grade, entry.dataItems),
    };
    const built = await readChunk((ordered, limit) => this.readRange({ ...source, ordered, limit }), budget, CHUNK_ROWS);
    const through = built.cut && built.lastSeq !== null ? built.lastSeq : p.upto;
    // What crossed the boundary: the request's counters and the audit record, in one commit.
    await this.dataSource.transaction(async (m) => {
      await this.requests.recordSent(m, request.id, built.rows, through, false, this.config.code);
      await this.audit.record(returnChunkServed(requester, request.id, { rows: built.rows, after: p.after, through }), m);
    });
    if (built.rows > 0) this.logger.debug(`return ${request.id}: sent ${built.rows} rows to ${requester} up to change ${through}`);
    const chunk: ReturnChunk = {
      requestId: request.id,
      after: p.after,
      upto: p.upto,
      through,
      rows: built.rows,
      sha256: sha256Hex(built.text),
    };
    return { chunk, attachment: built.text };
  }

  /** The range as COPY text, masked by the database (see DatasetRowRepository.copyRange). */
  private async readRange(source: ChunkSource): Promise<Buffer> {
    const runner = this.dataSource.createQueryRunner();
    try {
      return await this.datasetRows.copyRange((await runner.connect()) as PoolClient, source);
    } finally {
      await runner.release();
    }
  }

  /** Plans and pulls need a grant in force: anything else is refused for good, saying why (`grant-ended`). */
  private async grantedRequest(requester: string, id: string): Promise<RequestRow> {
    const request = await this.status(requester, id);
    if (request.state !== 'granted') {
      const why = request.reason ? `: ${request.reason}` : '';
      throw DomainRefusal.forbidden(`request ${request.id} is ${request.state}, not granted${why}`, {
        permanent: true,
        rule: 'grant-ended',
        article: 'Article 9',
      });
    }
    return request;
  }

  /** Bytes a chunk may take: a share of the NATS server's max_payload (the header and signature need the rest). */
  private async payloadBudget(share: number): Promise<number> {
    return Math.floor(((await this.nats.ready()).nc.info?.max_payload ?? 1_048_576) * share);
  }

  /** The entry must be a `data` entry registered here (its rows live here), and active. */
  private async heldDataEntry(manager: Parameters<CatalogEntryRepository['findById']>[0], id: string, permanent = false): Promise<EntryState> {
    const entry = await this.entries.findById(manager, id);
    if (!entry || entry.origin !== this.config.code) {
      throw DomainRefusal.notFound(`entry ${id} is not held at ${this.config.code}`, { permanent });
    }
    if (entry.type !== 'data') {
      throw DomainRefusal.refused(
        [{ rule: 'not-a-data-resource', article: 'Article 9', message: `entry ${id} is a ${entry.type} resource; only data resources are returned` }],
        { permanent },
      );
    }
    if (entry.status !== 'active') {
      throw DomainRefusal.refused([{ rule: 'entry-retired', article: 'Article 11', message: `entry ${id} is retired` }], { permanent });
    }
    return entry;
  }
}
