import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { randomUUID } from 'node:crypto';
import { isStrictlyBelow, jurisdictionPrefix, levelOf } from '@tdx/divisions';
import { RETURN_FINAL_STATES, RETURN_SUBTREE_PAGE_MAX } from '@tdx/contracts';
import type { Page, ReturnedRowView, ReturnHistoryEvent, ReturnJobView, ReturnRequestState, ReturnRequestView } from '@tdx/contracts';
import { NODE_CONFIG, NodeRuntimeConfig } from '../config/node-config';
import { DomainRefusal } from '../common/domain-refusal';
import { cursors } from '../common/cursor';
import { pageOf } from '../common/paging';
import { OPEN_STATES, RequestRow, requestView, ReturnRequestRepository } from './return-request.repository';
import { ReturnHolderService } from './return-holder.service';
import type { JobRow } from './return-job.repository';
import { ReturnJobRepository } from './return-job.repository';
import { ReturnedRowRepository } from './returned-row.repository';
import { WireError } from './return-wire';
import { ReturnTransferService } from './return-transfer.service';
import { ReturnWire } from './return-wire';
import type { CreateReturnRequestDto, ListJobsQuery, ListRequestsQuery, ListReturnedRowsQuery, ListSubtreeQuery } from './dto/returns.dto';

/** Requests, decisions, jobs and returned rows, as the operator API sees them. */
@Injectable()
export class ReturnsService {
  private readonly logger = new Logger('Returns');

  constructor(
    @Inject(NODE_CONFIG) private readonly config: NodeRuntimeConfig,
    private readonly dataSource: DataSource,
    private readonly requests: ReturnRequestRepository,
    private readonly returnJobs: ReturnJobRepository,
    private readonly returnedRows: ReturnedRowRepository,
    private readonly wire: ReturnWire,
    private readonly transfer: ReturnTransferService,
    private readonly holder: ReturnHolderService,
  ) {}

  /** At the requester: asks the holder, which decides at once by share type; both ends then hold the request. */
  async request(dto: CreateReturnRequestDto): Promise<ReturnRequestView> {
    if (!isStrictlyBelow(this.config.code, dto.holder)) {
      throw DomainRefusal.refused([
        {
          rule: 'holder-not-ancestor',
          article: 'Article 9',
          message: `${dto.holder} is not an ancestor of ${this.config.code}: data is returned downward only, from a higher tier`,
        },
      ]);
    }
    if (dto.scope === 'subtree' && levelOf(this.config.code) !== 'city') {
      throw DomainRefusal.refused([
        { rule: 'subtree-only-from-city', article: 'Article 9', message: 'only a city may ask for the return of its whole subtree' },
      ]);
    }
    const id = randomUUID();
    const answer = await this.askHolder(() =>
      this.wire.ask(dto.holder, 'return.request', { id, entryId: dto.entryId, scope: dto.scope, purpose: dto.purpose.trim() }, 10_000),
    );
    if (answer.message.kind === 'return.error') throw DomainRefusal.fromWire(answer.message.body);
    if (answer.message.kind !== 'return.state' || answer.message.body.id !== id) throw unavailable('the holder gave an unexpected answer');
    await this.requests.insertRequest(this.dataSource.manager, 'outgoing', answer.message.body);
    this.logger.log(`return request ${id} to ${dto.holder} for entry ${dto.entryId}: ${answer.message.body.state}`);
    if (answer.message.body.state === 'granted') {
      // Granted at once (unconditional sharing): the transfer starts now rather than at the next tick,
      // which would also start it should this fail.
      await this.transfer
        .startGranted(answer.message.body)
        .catch((error) => this.logger.warn(`return request ${id}: the transfer will start at the next tick: ${(error as Error).message}`));
    }
    this.transfer.poke();
    return this.view(await this.mustFind(id));
  }

  async list(q: ListRequestsQuery): Promise<Page<ReturnRequestView>> {
    // The holder's own view: requests whose entry was retired or stopped being shared show as ended.
    if (q.direction !== 'outgoing') await this.holder.endUnshareable();
    const items = await this.requests.listRequests(this.dataSource.manager, {
      direction: q.direction,
      state: q.state,
      afterSeq: cursors.seq(q.cursor),
      limit: q.limit,
    });
    const last = items[items.length - 1];
    return pageOf(
      items.map((r) => this.view(r)),
      q.limit,
      last && cursors.ofSeq(last.rowSeq),
    );
  }

  /** Read at the requester: the holder is asked first (briefly), so a decision shows at once. */
  async get(id: string): Promise<ReturnRequestView> {
    const request = await this.mustFind(id);
    if (request.direction === 'outgoing') {
      await this.transfer.refresh(request, 2000).catch((error) => this.logger.debug(`refresh of ${id}: ${(error as Error).message}`));
      return this.view(await this.mustFind(id));
    }
    if (OPEN_STATES.includes(request.state) && (await this.holder.endUnshareable()) > 0) return this.view(await this.mustFind(id));
    return this.view(request);
  }

  async approve(id: string, note: string | undefined): Promise<ReturnRequestView> {
    return this.decide(id, 'granted', null, note?.trim() || 'approved by an operator');
  }

  async reject(id: string, reason: string): Promise<ReturnRequestView> {
    return this.decide(id, 'rejected', reason.trim(), reason.trim());
  }

  /**
   * At the requester: withdraws a pending or granted request. The holder is told first (503 when it
   * cannot be reached: nothing changes); both ends then show it `withdrawn`, its job stops, and the
   * rows already returned are kept, no longer updated.
   */
  async withdraw(id: string, reason: string | undefined): Promise<ReturnRequestView> {
    const request = await this.mustFind(id);
    if (request.direction !== 'outgoing') {
      throw notHere('withdrawn-by-requester', `request ${id} is withdrawn by its requester ${request.requester}; the holder revokes a grant`);
    }
    if (!OPEN_STATES.includes(request.state)) throw hasEnded(request);
    const answer = await this.askHolder(() => this.wire.ask(request.holder, 'return.withdraw', { id, reason: reason?.trim() || null }, 10_000));
    if (answer.message.kind === 'return.error') throw DomainRefusal.fromWire(answer.message.body);
    if (answer.message.kind !== 'return.state' || answer.message.body.id !== id) throw unavailable('the holder gave an unexpected answer');
    await this.transfer.settle(request, answer.message.body);
    return this.view(await this.mustFind(id));
  }

  /**
   * At the holder: ends a grant, with a reason both ends see. The receiver learns it at its next
   * contact (its next pull is refused for good), stops, and removes the rows it was returned.
   */
  async revoke(id: string, reason: string): Promise<ReturnRequestView> {
    const request = await this.mustFind(id);
    if (request.direction !== 'incoming') throw notHere('revoked-by-holder', `request ${id} is revoked by its holder ${request.holder}; withdraw it instead`);
    if (request.state === 'pending') {
      throw DomainRefusal.refused([{ rule: 'not-granted', article: 'Article 10', message: `request ${id} is pending, not granted: reject it instead` }]);
    }
    if (request.state !== 'granted' || !(await this.holder.endIncoming(id, 'revoked', reason.trim(), this.config.code, ['granted']))) {
      throw hasEnded(await this.mustFind(id));
    }
    return this.view(await this.mustFind(id));
  }

  /**
   * At a city: the return requests that the nodes below it made to its ancestor (Article 9's middle
   * tier sees its subtree's requests), asked of the province as they stand there: read-only.
   */
  async subtree(q: ListSubtreeQuery): Promise<Page<ReturnRequestState>> {
    const ancestor = this.config.parentCode;
    if (levelOf(this.config.code) !== 'city' || !ancestor) {
      throw DomainRefusal.refused([
        {
          rule: 'subtree-view-at-city',
          article: 'Article 9',
          message: "only a city sees its subtree's requests to the province; a province holds them itself",
        },
      ]);
    }
    if (q.cursor !== undefined && !/^\d{1,18}$/.test(q.cursor))
      throw DomainRefusal.invalid([{ field: 'cursor', messages: ['cursor is not one this API gave'] }]);
    const answer = await this.askHolder(() =>
      this.wire.ask(ancestor, 'return.subtree', { cursor: q.cursor ?? null, limit: Math.min(q.limit, RETURN_SUBTREE_PAGE_MAX) }, 10_000),
    );
    if (answer.message.kind === 'return.error') throw DomainRefusal.fromWire(answer.message.body);
    if (answer.message.kind !== 'return.requests') throw unavailable('the province gave an unexpected answer');
    const below = answer.message.body.items.filter((r) => isStrictlyBelow(r.requester, this.config.code));
    return { items: below, nextCursor: answer.message.body.nextCursor };
  }

  async sync(id: string): Promise<ReturnJobView> {
    const request = await this.mustFind(id);
    if (request.direction !== 'outgoing') throw notHere('sync-at-receiver', 'a sync is started at the receiving node');
    if (request.state === 'pending') await this.transfer.refresh(request, 2000).catch(() => undefined);
    const current = await this.mustFind(id);
    if (current.state !== 'granted') {
      throw DomainRefusal.refused([{ rule: 'not-granted', article: 'Article 9', message: `request ${id} is ${current.state}, not granted` }]);
    }
    return jobView(await this.transfer.createJob(id));
  }

  async jobs(q: ListJobsQuery): Promise<Page<ReturnJobView>> {
    const items = await this.returnJobs.listJobs(this.dataSource.manager, q.requestId, q.limit);
    return { items: items.map(jobView), nextCursor: null };
  }

  async job(id: string): Promise<ReturnJobView> {
    const job = await this.returnJobs.findJob(this.dataSource.manager, id);
    if (!job) throw DomainRefusal.notFound(`no return job ${id}`);
    return jobView(job);
  }

  /** Returned rows at the receiver, keyset-paged by row key, optionally by region and a subset of data items. */
  async rows(id: string, q: ListReturnedRowsQuery): Promise<Page<ReturnedRowView>> {
    const request = await this.mustFind(id);
    if (request.direction !== 'outgoing') throw notHere('rows-at-receiver', 'returned rows are held at the receiving node');
    const known = new Set(request.entry.dataItems.map((item) => item.name));
    const columns = q.columns?.split(',');
    const unknown = columns?.filter((c) => !known.has(c)) ?? [];
    if (unknown.length > 0) throw DomainRefusal.invalid([{ field: 'columns', messages: [`not data items of the entry: ${unknown.join(', ')}`] }]);
    let region: string | undefined;
    if (q.region) {
      try {
        region = jurisdictionPrefix(q.region);
      } catch {
        throw DomainRefusal.invalid([{ field: 'region', messages: ['region must be a division code'] }]);
      }
    }
    const afterKey = cursors.key(q.cursor);
    const rows = await this.returnedRows.listRows(this.dataSource.manager, id, request.entry.dataItems, region, afterKey, q.limit);
    const items = rows.map((r) => ({
      ...r,
      data: columns ? Object.fromEntries(columns.map((c) => [c, r.data[c] ?? null])) : r.data,
    }));
    const last = rows[rows.length - 1];
    return pageOf(items, q.limit, last && cursors.ofKey(last.rowKey));
  }

  private async decide(id: string, state: 'granted' | 'rejected', reason: string | null, note: string): Promise<ReturnRequestView> {
    await this.dataSource.transaction(async (manager) => {
      const request = await this.requests.findRequest(manager, id, true);
      if (!request) throw DomainRefusal.notFound(`no return request ${id}`);
      if (request.direction !== 'incoming') throw notHere('decided-by-holder', `request ${id} is decided by its holder ${request.holder}`);
      if (request.state === 'granted' && state === 'rejected') {
        throw DomainRefusal.refused([
          { rule: 'already-decided', article: 'Article 10', message: `request ${id} is already granted: end a grant with revoke (POST …/revoke {reason})` },
        ]);
      }
      if (RETURN_FINAL_STATES.includes(request.state)) throw hasEnded(request);
      if (request.state !== 'pending') {
        throw DomainRefusal.refused([{ rule: 'already-decided', article: 'Article 10', message: `request ${id} is already ${request.state}` }]);
      }
      const event: ReturnHistoryEvent = { at: new Date().toISOString(), state, by: this.config.code, note };
      await this.requests.decide(manager, id, state, reason, event);
    });
    this.logger.log(`return request ${id} ${state} by an operator${reason ? `: ${reason}` : ''}`);
    return this.view(await this.mustFind(id));
  }

  private async mustFind(id: string): Promise<RequestRow> {
    const request = await this.requests.findRequest(this.dataSource.manager, id);
    if (!request) throw DomainRefusal.notFound(`no return request ${id}`);
    return request;
  }

  private view(r: RequestRow): ReturnRequestView {
    return requestView(r);
  }

  private async askHolder<T>(action: () => Promise<T>): Promise<T> {
    try {
      return await action();
    } catch (error) {
      if (error instanceof WireError) throw unavailable(error.message);
      throw error;
    }
  }
}

function unavailable(message: string): DomainRefusal {
  return DomainRefusal.unavailable(message);
}

/** A request that has ended (or was refused or rejected): nothing more can be decided on it. */
function hasEnded(r: RequestRow): DomainRefusal {
  const last = [...r.history].reverse().find((h) => h.state === r.state);
  const when = last ? ` on ${last.at}${last.by ? ` by ${last.by}` : ''}` : '';
  return DomainRefusal.refused([
    {
      rule: 'request-ended',
      article: 'Article 9',
      message: `request ${r.id} was ${r.state}${when}${r.reason ? `: ${r.reason}` : ''}; nothing more can be decided on it`,
    },
  ]);
}

function notHere(rule: string, message: string): DomainRefusal {
  return DomainRefusal.refused([{ rule, article: 'Article 9', message }]);
}

export function jobView(job: JobRow): ReturnJobView {
  const end = job.finishedAt ? Date.parse(job.finishedAt) : Date.now();
  const seconds = job.startedAt ? Math.max((end - Date.parse(job.startedAt)) / 1000, 0.001) : null;
  const ratePerSec = seconds === null ? null : Math.round(job.rowsDone / seconds);
  const remaining = job.rowsTotal === null ? null : Math.max(job.rowsTotal - job.rowsDone, 0);
  const etaSeconds = job.state === 'done' ? 0 : remaining === null || !ratePerSec ? null : Math.ceil(remaining / ratePerSec);
  return {
    id: job.id,
    requestId: job.requestId,
    kind: job.kind,
    state: job.state,
    rowsDone: job.rowsDone,
    rowsTotal: job.rowsTotal,
    upserts: job.upserts,
    deletes: job.deletes,
    ratePerSec,
    etaSeconds,
    lastError: job.lastError,
    attempts: job.attempts,
    nextAttemptAt: job.nextAttemptAt,
    createdAt: job.createdAt,
    startedAt: job.startedAt,
    finishedAt: job.finishedAt,
  };
}
