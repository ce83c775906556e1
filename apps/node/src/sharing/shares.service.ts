import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { randomUUID } from 'node:crypto';
import type {
  Page,
  ShareDecisionBody,
  ShareEndBody,
  ShareHistoryEvent,
  ShareQueryAnswer,
  ShareQueryBody,
  ShareRequestBody,
  ShareRowsView,
  ShareView,
} from '@tdx/contracts';
import { NODE_CONFIG, NodeRuntimeConfig } from '../config/node-config';
import { DomainRefusal } from '../common/domain-refusal';
import { cursors } from '../common/cursor';
import { pageOf } from '../common/paging';
import { actorOf, Principal } from '../access/principal';
import { InstitutionScope } from '../catalog/institution-scope';
import { ExchangeAudit } from '../audit/exchange-audit.service';
import { Channel } from '../channel/channel';
import { ProvinceCatalog } from '../search/province-catalog';
import { ShareClock, ShareDeadlines } from './share-clock';
import { OPEN_SHARE_STATES, ShareRequestRepository, ShareRow } from './share-request.repository';
import { entryRefusal, expiryRefusals, requestRefusals } from './share-rules';
import { shareQueried, shareStateChanged } from './share-audit';
import { entrySummary, shareView } from './share-views';
import { sideOf, type ApproveShareDto, type CreateShareDto, type ListSharesQuery, type QueryShareDto } from './dto/shares.dto';

/**
 * Share requests as the API sees them: made at the consumer's node, decided and revoked at the
 * provider's (the authority on their state), every change sent to the other end durably through the
 * channel and recorded at both ends with who, when and why.
 */
@Injectable()
export class SharesService {
  private readonly logger = new Logger('Sharing');

  constructor(
    @Inject(NODE_CONFIG) private readonly config: NodeRuntimeConfig,
    private readonly dataSource: DataSource,
    private readonly requests: ShareRequestRepository,
    private readonly entries: ProvinceCatalog,
    private readonly scope: InstitutionScope,
    private readonly audit: ExchangeAudit,
    private readonly channel: Channel,
    private readonly clock: ShareClock,
    private readonly deadlines: ShareDeadlines,
  ) {}

  /** At the consumer: checked against the entry before anything is stored, then stored and sent to the provider. */
  async request(dto: CreateShareDto, principal: Principal): Promise<ShareView> {
    const institution = this.consumerInstitution(dto.institutionId, principal);
    const entry = await this.entries.entry(dto.entryId);
    if (!entry) throw DomainRefusal.notFound(`no catalog entry ${dto.entryId} in the province`);
    const now = this.clock.now();
    const ask = { items: dto.items, regions: dto.regions, expiresAt: new Date(dto.expiresAt).toISOString() };
    const refusals = requestRefusals(entry, ask, now);
    if (refusals.length > 0) throw DomainRefusal.refused(refusals);
    const id = randomUUID();
    const at = now.toISOString();
    const actor = actorOf(principal);
    const requested: ShareHistoryEvent = { at, state: 'requested', by: this.config.code, actor, note: dto.purpose.trim() };
    const row: Omit<ShareRow, 'rowSeq'> = {
      id,
      side: 'consumer',
      entryId: entry.id,
      provider: entry.origin,
      consumer: this.config.code,
      consumerInstitution: institution,
      items: ask.items,
      regions: ask.regions,
      purpose: dto.purpose.trim(),
      expiresAt: ask.expiresAt,
      state: 'requested',
      reason: null,
      rule: null,
      deadline: this.deadlines.deadline(entry.shareType, now)?.toISOString() ?? null,
      history: [requested],
      entry: entrySummary(entry),
      createdAt: at,
      updatedAt: at,
    };
    const body: ShareRequestBody = {
      id,
      entryId: entry.id,
      consumerInstitution: institution,
      items: ask.items,
      regions: ask.regions,
      purpose: row.purpose,
      expiresAt: ask.expiresAt,
      createdAt: at,
      requested,
    };
    await this.dataSource.transaction(async (manager) => {
      await this.requests.insert(manager, row);
      await this.channel.enqueue(manager, entry.origin, 'share.request', body);
      await this.audit.record(shareStateChanged(actor, id, 'requested', { entryId: entry.id, provider: entry.origin, consumer: this.config.code }), manager);
    });
    this.logger.log(`share request ${id} to ${entry.origin} for entry ${entry.id}`);
    return this.view(await this.mustFind(id, 'consumer'));
  }

  async list(q: ListSharesQuery, principal: Principal): Promise<Page<ShareView>> {
    await this.settleExpired();
    const allowed = this.scope.institutionsOf(principal, 'read');
    const items = await this.requests.list(this.dataSource.manager, {
      side: sideOf(q.direction),
      state: q.state,
      overdueAt: q.overdue === 'true' ? this.clock.now() : undefined,
      institutions: allowed === 'all' ? undefined : [...allowed],
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

  /** The request with its history; the provider's end when this node holds both. */
  async get(id: string, principal: Principal): Promise<ShareView> {
    await this.settleExpired();
    const rows = await this.requests.findAny(this.dataSource.manager, id);
    const visible = rows.filter((r) => this.mayRead(r, principal));
    const row = visible.find((r) => r.side === 'provider') ?? visible[0];
    if (!row) throw DomainRefusal.notFound(`no share request ${id}`);
    return this.view(row);
  }

  /** At the provider: grants a request waiting for a decision (approved, then in force: granted). */
  async approve(id: string, dto: ApproveShareDto, principal: Principal): Promise<ShareView> {
    return this.decide(id, principal, async (row, now) => {
      // The entry may have been retired, or stopped being shared, since the request arrived.
      const entry = await this.entries.entry(row.entryId);
      const gone = entry ? entryRefusal(entry) : { rule: 'entry-gone', article: 'Article 10', message: `entry ${row.entryId} is no longer held here` };
      if (gone) throw DomainRefusal.refused([{ ...gone, message: `${gone.message}; reject the request instead` }]);
      const asked = Date.parse(row.expiresAt);
      const expiresAt = dto.expiresAt ? new Date(dto.expiresAt).toISOString() : row.expiresAt;
      if (dto.expiresAt) {
        const refusals = expiryRefusals(expiresAt, now);
        if (Date.parse(expiresAt) > asked) {
          refusals.push({ rule: 'expiry-beyond-request', article: 'Article 10', message: `a grant cannot run beyond the expiry asked for (${row.expiresAt})` });
        }
        if (refusals.length > 0) throw DomainRefusal.refused(refusals);
      }
      const at = now.toISOString();
      const events: ShareHistoryEvent[] = [
        { at, state: 'approved', by: this.config.code, actor: actorOf(principal), note: dto.reason.trim() },
        { at, state: 'granted', by: this.config.code, actor: `node:${this.config.code}`, note: `in force until ${expiresAt}` },
      ];
      return { state: 'granted', reason: dto.reason.trim(), expiresAt, events };
    });
  }

  async reject(id: string, reason: string, principal: Principal): Promise<ShareView> {
    return this.decide(id, principal, async (_row, now) => ({
      state: 'rejected',
      reason: reason.trim(),
      events: [{ at: now.toISOString(), state: 'rejected', by: this.config.code, actor: actorOf(principal), note: reason.trim() }],
    }));
  }

  /** At the provider: ends a grant at once (the next query is refused); the consumer is told durably. */
  async revoke(id: string, reason: string, principal: Principal): Promise<ShareView> {
    await this.settleExpired();
    await this.dataSource.transaction(async (manager) => {
      const row = await this.providerRow(manager, id, principal);
      if (row.state !== 'granted') throw notInState(row, 'granted', 'revoke ends a grant in force; reject a request still waiting');
      const event: ShareHistoryEvent = {
        at: this.clock.now().toISOString(),
        state: 'revoked',
        by: this.config.code,
        actor: actorOf(principal),
        note: reason.trim(),
      };
      await this.requests.transition(manager, id, 'provider', { state: 'revoked', reason: reason.trim(), deadline: null, events: [event] });
      const body: ShareEndBody = { id, event };
      await this.channel.enqueue(manager, row.consumer, 'share.revoke', body);
      await this.audit.record(shareStateChanged(event.actor, id, 'revoked', { ...parties(row), reason: event.note }), manager);
    });
    return this.view(await this.mustFind(id, 'provider'));
  }

  /** At the consumer: withdraws a request or a grant; the provider is told durably and ends it too. */
  async withdraw(id: string, reason: string, principal: Principal): Promise<ShareView> {
    await this.settleExpired();
    await this.dataSource.transaction(async (manager) => {
      const row = await this.requests.find(manager, id, 'consumer', true);
      if (!row || !this.mayRead(row, principal)) throw DomainRefusal.notFound(`no share request ${id} made at ${this.config.code}`);
      if (!OPEN_SHARE_STATES.includes(row.state)) throw notInState(row, 'open', 'nothing left to withdraw');
      const event: ShareHistoryEvent = {
        at: this.clock.now().toISOString(),
        state: 'withdrawn',
        by: this.config.code,
        actor: actorOf(principal),
        note: reason.trim(),
      };
      await this.requests.transition(manager, id, 'consumer', { state: 'withdrawn', reason: reason.trim(), deadline: null, events: [event] });
      await this.channel.enqueue(manager, row.provider, 'share.withdraw', { id, event } satisfies ShareEndBody);
      await this.audit.record(shareStateChanged(event.actor, id, 'withdrawn', { ...parties(row), reason: event.note }), manager);
    });
    return this.view(await this.mustFind(id, 'consumer'));
  }

  /** At the consumer: one page of rows through the channel; the provider checks the grant on every call. */
  async query(id: string, dto: QueryShareDto, principal: Principal): Promise<ShareRowsView> {
    const row = await this.requests.find(this.dataSource.manager, id, 'consumer');
    if (!row || !this.mayRead(row, principal)) throw DomainRefusal.notFound(`no share request ${id} made at ${this.config.code}`);
    const actor = actorOf(principal);
    const body: ShareQueryBody = {
      id,
      actor,
      fields: dto.fields,
      regions: dto.regions ?? null,
      filters: dto.filters ?? null,
      cursor: dto.cursor ?? null,
      limit: dto.limit,
    };
    const asked = { ...parties(row), fields: dto.fields, regions: dto.regions ?? null };
    try {
      const answer = await this.channel.ask<ShareQueryAnswer>(row.provider, 'share.query', body);
      await this.audit.record(shareQueried(actor, id, 'served', { ...asked, regions: answer.regions, rows: answer.items.length }));
      return answer;
    } catch (error) {
      if (error instanceof DomainRefusal) {
        await this.audit.record(shareQueried(actor, id, 'refused', { ...asked, rule: error.rule, message: error.message.slice(0, 300) }));
      }
      throw error;
    }
  }

  /** Open requests whose expiry has passed end now, at this end, with an event in the history (a time check on every call). */
  async settleExpired(manager: EntityManager = this.dataSource.manager): Promise<void> {
    const now = this.clock.now();
    for (const { id, side } of await this.requests.expiredOpen(manager, now)) {
      await this.dataSource.transaction(async (m) => {
        const row = await this.requests.find(m, id, side, true);
        if (!row || !OPEN_SHARE_STATES.includes(row.state) || Date.parse(row.expiresAt) > now.getTime()) return;
        const event: ShareHistoryEvent = {
          at: now.toISOString(),
          state: 'expired',
          by: this.config.code,
          actor: `node:${this.config.code}`,
          note: `expired at ${row.expiresAt}`,
        };
        await this.requests.transition(m, id, side, { state: 'expired', deadline: null, events: [event] });
        await this.audit.record(shareStateChanged(event.actor, id, 'expired', parties(row)), m);
      });
    }
  }

  private async decide(
    id: string,
    principal: Principal,
    decision: (row: ShareRow, now: Date) => Promise<Omit<ShareDecisionBody, 'id' | 'expiresAt' | 'deadline' | 'rule'> & { expiresAt?: string }>,
  ): Promise<ShareView> {
    await this.settleExpired();
    await this.dataSource.transaction(async (manager) => {
      const row = await this.providerRow(manager, id, principal);
      if (row.state !== 'requested') throw notInState(row, 'requested', 'it has been decided already');
      const d = await decision(row, this.clock.now());
      await this.requests.transition(manager, id, 'provider', { state: d.state, reason: d.reason, expiresAt: d.expiresAt, deadline: null, events: d.events });
      const body: ShareDecisionBody = {
        id,
        state: d.state,
        reason: d.reason,
        rule: null,
        expiresAt: d.expiresAt ?? row.expiresAt,
        deadline: null,
        events: d.events,
      };
      await this.channel.enqueue(manager, row.consumer, 'share.decision', body);
      await this.audit.record(shareStateChanged(actorOf(principal), id, d.state, { ...parties(row), reason: d.reason }), manager);
    });
    return this.view(await this.mustFind(id, 'provider'));
  }

  /** The provider's row, locked; institution admins decide only for their own institution's entries. */
  private async providerRow(manager: EntityManager, id: string, principal: Principal): Promise<ShareRow> {
    const row = await this.requests.find(manager, id, 'provider', true);
    if (!row) {
      const here = await this.requests.find(manager, id, 'consumer');
      if (here && this.mayRead(here, principal)) {
        throw DomainRefusal.refused([
          { rule: 'decided-by-provider', article: 'Article 10', message: `share request ${id} is decided at its provider ${here.provider}` },
        ]);
      }
      throw DomainRefusal.notFound(`no share request ${id} for an entry of ${this.config.code}`);
    }
    this.scope.assertMayActFor(principal, row.entry.providerId, 'write');
    return row;
  }

  private consumerInstitution(given: string | undefined, principal: Principal): string | null {
    const allowed = this.scope.institutionsOf(principal, 'read');
    if (given) {
      this.scope.assertMayActFor(principal, given, 'read');
      return given.toLowerCase();
    }
    if (allowed === 'all') return null;
    if (allowed.size === 1) return [...allowed][0];
    throw DomainRefusal.invalid([{ field: 'institutionId', messages: ['institutionId must name one of your institutions (you act for several)'] }]);
  }

  /** Whether the principal may see this end of the request: its consumer institution's staff here, the entry's provider institution's there. */
  mayRead(row: ShareRow, principal: Principal): boolean {
    const allowed = this.scope.institutionsOf(principal, 'read');
    if (allowed === 'all') return true;
    return row.side === 'consumer' ? row.consumerInstitution !== null && allowed.has(row.consumerInstitution) : allowed.has(row.entry.providerId);
  }

  private async mustFind(id: string, side: ShareRow['side']): Promise<ShareRow> {
    const row = await this.requests.find(this.dataSource.manager, id, side);
    if (!row) throw DomainRefusal.notFound(`no share request ${id}`);
    return row;
  }

  private view(row: ShareRow): ShareView {
    return shareView(row, this.clock.now());
  }
}

export function parties(row: ShareRow): { entryId: string; provider: string; consumer: string } {
  return { entryId: row.entryId, provider: row.provider, consumer: row.consumer };
}

function notInState(row: ShareRow, wanted: string, why: string): DomainRefusal {
  return DomainRefusal.refused([
    {
      rule: 'share-state',
      article: 'Article 10',
      message: `share request ${row.id} is ${row.state}, not ${wanted}: ${why}${row.reason ? ` (${row.reason})` : ''}`,
    },
  ]);
}
