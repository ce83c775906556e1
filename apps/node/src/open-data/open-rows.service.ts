import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { DataSource } from 'typeorm';
import { isUuid, type OpenRowsPageView } from '@tdx/contracts';
import { NODE_CONFIG, NodeRuntimeConfig } from '../config/node-config';
import { ExchangeAudit } from '../audit/exchange-audit.service';
import { CatalogEntryRepository } from '../catalog/catalog-entry.repository';
import { Channel, type ChannelCall } from '../channel/channel';
import { cursors } from '../common/cursor';
import { DomainRefusal, type FieldProblem } from '../common/domain-refusal';
import { PAGE_LIMITS } from '../common/paging';
import { DatasetRowRepository } from '../datasets/dataset-row.repository';
import { maskPlan } from '../datasets/masking';
import { OpenApplicationRepository } from './open-application.repository';
import { unreachable } from './open-entries';
import { openRefusals } from './open-rules';

/** What one page of open rows asks for, over HTTP at any node and over the channel at the origin. */
export interface OpenRowsAsk {
  entryId: string;
  cursor?: string;
  limit: number;
  /** An approved application's token, for restricted data. */
  token?: string;
}

export const OPEN_ROWS_KIND = 'open.rows';
/** Longest cursor and token the origin reads; anything longer is not one it gave out. */
const MAX_CURSOR = 1024;
const MAX_TOKEN = 256;

export function tokenHash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * Rows of open data. Only the entry's origin holds and serves them: a node that is not the origin
 * asks it through the channel (`open.rows`), and the origin checks everything again itself, the
 * entry's rules and a restricted entry's token included, whoever asks. Sensitive items leave
 * masked by the entry's grade, as returns mask them.
 */
@Injectable()
export class OpenRowsService implements OnModuleInit {
  constructor(
    @Inject(NODE_CONFIG) private readonly config: NodeRuntimeConfig,
    private readonly dataSource: DataSource,
    private readonly entries: CatalogEntryRepository,
    private readonly rows: DatasetRowRepository,
    private readonly applications: OpenApplicationRepository,
    private readonly channel: Channel,
    private readonly audit: ExchangeAudit,
  ) {}

  onModuleInit(): void {
    this.channel.answer(OPEN_ROWS_KIND, (call) => this.answer(call));
  }

  /** One page of the entry's rows, from wherever its origin is. */
  async page(origin: string, ask: OpenRowsAsk): Promise<OpenRowsPageView> {
    if (origin === this.config.code) return this.serve(ask);
    try {
      const page = await this.channel.ask<OpenRowsPageView>(origin, OPEN_ROWS_KIND, ask);
      this.recordExchange(`${OPEN_ROWS_KIND} to ${origin}`, 'anonymous', ask, 'served', page.items.length);
      return page;
    } catch (error) {
      this.recordExchange(`${OPEN_ROWS_KIND} to ${origin}`, 'anonymous', ask, outcomeOf(error), 0);
      throw unreachable(error);
    }
  }

  /**
   * One audit record per page that crosses a node boundary, at both ends: who asked, which entry,
   * whether a token was given (never the token), the outcome and how many rows.
   */
  private recordExchange(action: string, actor: string, ask: OpenRowsAsk, outcome: string, rows: number): void {
    this.audit.detach({ actor, action, target: isUuid(ask.entryId) ? ask.entryId : null, outcome, details: { rows, withToken: ask.token !== undefined } });
  }

  /** The origin's answer to another node: the body is hostile input until checked. */
  private async answer(call: ChannelCall): Promise<OpenRowsPageView> {
    const body = (typeof call.body === 'object' && call.body !== null ? call.body : {}) as Partial<OpenRowsAsk>;
    const asked = { entryId: String(body.entryId ?? ''), limit: 0, ...(body.token !== undefined ? { token: '' } : {}) };
    try {
      const page = await this.serve(checkedAsk(call.body));
      this.recordExchange(OPEN_ROWS_KIND, `node:${call.from}`, asked, 'served', page.items.length);
      return page;
    } catch (error) {
      this.recordExchange(OPEN_ROWS_KIND, `node:${call.from}`, asked, outcomeOf(error), 0);
      throw error;
    }
  }

  /** At the origin: the rules, the token of restricted data, then the masked page. */
  private async serve(ask: OpenRowsAsk): Promise<OpenRowsPageView> {
    const manager = this.dataSource.manager;
    const entry = await this.entries.findById(manager, ask.entryId);
    if (!entry || entry.origin !== this.config.code) throw DomainRefusal.notFound(`node ${this.config.code} registered no entry ${ask.entryId}`);
    const refusals = openRefusals(entry, 'rows');
    if (refusals.length > 0) throw DomainRefusal.refused(refusals, { permanent: true });
    if (entry.openType === 'restricted') {
      const opens = ask.token !== undefined && (await this.applications.tokenOpens(manager, tokenHash(ask.token), entry.id, this.config.code));
      if (!opens) {
        throw DomainRefusal.forbidden('restricted open data is served only with the token of an approved, unexpired application for this entry', {
          rule: 'open-restricted-needs-approval',
          article: 'Article 10',
        });
      }
    }
    const afterKey = cursors.key(ask.cursor) ?? null;
    const items = await this.rows.listMaskedRows(manager, entry, maskPlan(entry.grade, entry.dataItems), afterKey, ask.limit);
    const last = items[items.length - 1];
    return { entryId: entry.id, items, nextCursor: items.length === ask.limit && last ? cursors.ofKey(last.rowKey) : null };
  }
}

function outcomeOf(error: unknown): string {
  if (error instanceof DomainRefusal) return `refused: ${error.rule ?? error.kind}`;
  return error instanceof Error ? `failed: ${error.name}` : 'failed';
}

/** The body of an `open.rows` call, checked field by field: 400-kind refusal naming the fields at fault. */
export function checkedAsk(body: unknown): OpenRowsAsk {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw DomainRefusal.invalid([{ field: 'body', messages: ['body must be an object'] }]);
  const b = body as Record<string, unknown>;
  const problems: FieldProblem[] = [];
  const bad = (field: string, message: string) => problems.push({ field, messages: [message] });
  for (const key of Object.keys(b)) if (!['entryId', 'cursor', 'limit', 'token'].includes(key)) bad(key, `property ${key} should not exist`);
  if (!isUuid(b.entryId)) bad('entryId', 'entryId must be a UUID');
  if (b.cursor !== undefined && (typeof b.cursor !== 'string' || b.cursor.length > MAX_CURSOR)) bad('cursor', 'cursor must be a cursor this API returned');
  if (typeof b.limit !== 'number' || !Number.isInteger(b.limit) || b.limit < 1 || b.limit > PAGE_LIMITS.datasetRows.max) {
    bad('limit', `limit must be a whole number from 1 to ${PAGE_LIMITS.datasetRows.max}`);
  }
  if (b.token !== undefined && (typeof b.token !== 'string' || b.token.length < 1 || b.token.length > MAX_TOKEN))
    bad('token', 'token must be a token of an application');
  if (problems.length > 0) throw DomainRefusal.invalid(problems);
  return { entryId: b.entryId as string, cursor: b.cursor as string | undefined, limit: b.limit as number, token: b.token as string | undefined };
}
