import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { randomUUID } from 'node:crypto';
import type { EntryState, EntryType } from '@tdx/contracts';
import { NODE_CONFIG, NodeRuntimeConfig } from '../config/node-config';
import { DomainRefusal, Refusal } from '../common/domain-refusal';
import { cursors } from '../common/cursor';
import { Page, pageOf } from '../common/paging';
import { isUniqueViolation } from '../common/unique-violation';
import { OutboxRepository } from '../outbox/outbox.repository';
import { OutboxSignal } from '../outbox/outbox-signal';
import { InstitutionRepository } from '../institutions/institution.repository';
import { InstitutionScope } from './institution-scope';
import { NotAllowedError } from '../access/access-errors';
import type { Principal } from '../access/principal';
import { CatalogEntryRepository } from './catalog-entry.repository';
import { refusalsFor } from './catalog-rules';
import type { CreateEntryDto } from './dto/create-entry.dto';
import { FieldProblem, fieldProblems } from './dto/entry-fields';
import type { UpdateEntryDto } from './dto/update-entry.dto';
import type { ListEntriesQuery } from './dto/list-entries.query';

const TYPE_LETTER: Record<EntryType, string> = { data: 'D', application: 'A', component: 'C', compute: 'P' };

/** The problems of one row of a registration, numbered from 1. */
type RowProblems<T> = { row: number; problems: T[] };

/** Fields every entry has: a PATCH may change them but not clear them (null). */
const NOT_NULL_FIELDS = [
  'name',
  'summary',
  'providerId',
  'category',
  'grade',
  'shareType',
  'openType',
  'updateCycle',
  'regionScope',
  'dataItems',
  'relatedResources',
  'stateSecret',
  'expectedVersion',
] as const;

/** Registration, new versions and retirement of this node's own catalog entries. */
@Injectable()
export class CatalogService {
  constructor(
    @Inject(NODE_CONFIG) private readonly config: NodeRuntimeConfig,
    private readonly dataSource: DataSource,
    private readonly entries: CatalogEntryRepository,
    private readonly institutions: InstitutionRepository,
    private readonly outbox: OutboxRepository,
    private readonly signal: OutboxSignal,
    private readonly scope: InstitutionScope,
  ) {}

  /** `actor` undefined: the node itself (no institution scope); else institution staff register for their own institution only. */
  async register(dto: CreateEntryDto, actor?: Principal): Promise<EntryState> {
    const [state] = await this.registerAll(
      [dto],
      actor,
      (rows) => DomainRefusal.invalid(rows.flatMap((r) => r.problems)),
      (rows) => DomainRefusal.refused(rows.flatMap((r) => r.problems)),
    );
    return state;
  }

  /** All or nothing: one bad row refuses the whole upload, and every bad row is reported by its number (from 1). */
  async registerMany(dtos: CreateEntryDto[], actor?: Principal): Promise<EntryState[]> {
    return this.registerAll(
      dtos,
      actor,
      (rows) =>
        DomainRefusal.invalid(
          rows.flatMap(({ row, problems }) => problems.map((p) => ({ field: `entries.${row - 1}.${p.field}`, row, messages: p.messages }))),
        ),
      (rows) => DomainRefusal.refused(rows.flatMap(({ row, problems }) => problems.map((r) => ({ ...r, message: `row ${row}: ${r.message}` })))),
    );
  }

  async update(id: string, dto: UpdateEntryDto, actor?: Principal): Promise<EntryState> {
    // Validation lets null through for optional fields; only the nullable ones (shareCondition, ...) may be cleared.
    const nulls = NOT_NULL_FIELDS.filter((field) => (dto as Record<string, unknown>)[field] === null);
    if (nulls.length > 0) {
      throw DomainRefusal.invalid(nulls.map((field) => ({ field, messages: [`${field} must not be null; omit it to keep the current value`] })));
    }
    const state = await this.dataSource.transaction(async (manager) => {
      const current = await this.ownEntryForChange(manager, id);
      // Institution staff change their own institution's entries, and cannot hand one to another institution.
      this.scope.assertMayActFor(actor, current.providerId, 'write');
      if (dto.providerId) this.scope.assertMayActFor(actor, dto.providerId, 'write');
      if (dto.expectedVersion !== undefined && dto.expectedVersion !== current.version) {
        throw DomainRefusal.conflict(`entry is at version ${current.version}, not ${dto.expectedVersion}`, 'expectedVersion');
      }
      const { expectedVersion: _ignored, stateSecret, ...changes } = dto;
      const next: EntryState = {
        ...current,
        ...definedOnly(changes),
        ...(changes.name !== undefined ? { name: changes.name.trim() } : {}),
        version: current.version + 1,
        updatedAt: new Date().toISOString(),
      };
      const problems = fieldProblems(next.type, next);
      if (problems.length > 0) throw DomainRefusal.invalid(problems);
      const refusals = await this.refusalsOf(manager, next, stateSecret === true);
      if (refusals.length > 0) throw DomainRefusal.refused(refusals);
      await this.entries.update(manager, next);
      await this.outbox.appendLocal(manager, 'entry.upsert', next);
      return next;
    });
    this.signal.notify();
    return state;
  }

  /** Retirement is a tombstone: a new version with status `retired`, which replicates like any other. */
  async retire(id: string, actor?: Principal): Promise<EntryState> {
    const { state, changed } = await this.dataSource.transaction(async (manager) => {
      const current = await this.ownEntryForChange(manager, id, true);
      this.scope.assertMayActFor(actor, current.providerId, 'write');
      if (current.status === 'retired') return { state: current, changed: false };
      const next: EntryState = { ...current, status: 'retired', version: current.version + 1, updatedAt: new Date().toISOString() };
      await this.entries.update(manager, next);
      await this.outbox.appendLocal(manager, 'entry.upsert', next);
      return { state: next, changed: true };
    });
    if (changed) this.signal.notify();
    return state;
  }

  async get(id: string): Promise<EntryState> {
    const entry = await this.entries.findById(this.dataSource.manager, id);
    if (!entry) throw DomainRefusal.notFound(`no catalog entry ${id} at this node`);
    return entry;
  }

  async list(query: ListEntriesQuery): Promise<Page<EntryState>> {
    const origin = query.scope === 'local' ? this.config.code : query.origin;
    if (query.scope === 'local' && query.origin && query.origin !== this.config.code) {
      return { items: [], nextCursor: null };
    }
    const { items, lastSeq } = await this.entries.list(this.dataSource.manager, {
      origin,
      q: query.q,
      type: query.type,
      status: query.status,
      afterSeq: cursors.seq(query.cursor),
      limit: query.limit,
    });
    return pageOf(items, query.limit, lastSeq === null ? undefined : cursors.ofSeq(lastSeq));
  }

  /**
   * Checks every row before writing any: malformed rows (400) first, then rule refusals (422),
   * then code conflicts (409); each answer names every row at fault, not only the first.
   */
  private async registerAll(
    dtos: CreateEntryDto[],
    actor: Principal | undefined,
    badFields: (rows: RowProblems<FieldProblem>[]) => Error,
    refused: (rows: RowProblems<Refusal>[]) => Error,
  ): Promise<EntryState[]> {
    this.assertProvidersInScope(dtos, actor);
    const now = new Date().toISOString();
    const states = await this.dataSource
      .transaction(async (manager) => {
        // Whole-upload lookups: a bulk of 1,000 costs a handful of statements, not thousands.
        const providers = await this.institutions.activeLocalIds(manager, this.config.code, [
          ...new Set(dtos.filter((d) => fieldProblems(d.type, d).length === 0).map((d) => d.providerId.toLowerCase())),
        ]);
        const chosenCodes = dtos.map((d) => d.code).filter((code): code is string => typeof code === 'string');
        const taken = await this.entries.takenCodes(manager, this.config.code, chosenCodes);
        const prepared: EntryState[] = [];
        const malformed: RowProblems<FieldProblem>[] = [];
        const refusedRows: RowProblems<Refusal>[] = [];
        const conflicts: string[] = [];
        const codes = new Set<string>();
        for (const [index, dto] of dtos.entries()) {
          const row = index + 1;
          const problems = fieldProblems(dto.type, dto);
          if (problems.length > 0) {
            malformed.push({ row, problems });
            continue;
          }
          const state = this.newState(dto, now);
          const refusals = refusalsFor(state, {
            nodeCode: this.config.code,
            providerIsLocal: providers.has(state.providerId),
            stateSecret: dto.stateSecret === true,
          });
          if (refusals.length > 0) refusedRows.push({ row, problems: refusals });
          if (dto.code !== undefined && dto.code !== null) {
            if (codes.has(dto.code) || taken.has(dto.code)) {
              conflicts.push(`resource code ${dto.code} is already registered at this node${dtos.length > 1 ? ` (row ${row})` : ''}`);
            }
            codes.add(dto.code);
          }
          prepared.push(state);
        }
        if (malformed.length > 0) throw badFields(malformed);
        if (refusedRows.length > 0) throw refused(refusedRows);
        if (conflicts.length > 0) throw DomainRefusal.conflict(conflicts.join('; '), 'code');
        await this.assignGeneratedCodes(
          manager,
          prepared.filter((state) => !state.code),
        );
        await this.entries.insertMany(manager, prepared);
        await this.outbox.appendLocalMany(manager, 'entry.upsert', prepared);
        return prepared;
      })
      .catch((error: unknown) => {
        // Two requests choosing the same new code at once: the loser's insert meets the unique index.
        if (isUniqueViolation(error, 'catalog_entry_origin_code')) throw DomainRefusal.conflict('resource code is already registered at this node', 'code');
        throw error;
      });
    this.signal.notify();
    return states;
  }

  /** 403 naming every row whose provider is not the institution of the staff registering it. */
  private assertProvidersInScope(dtos: CreateEntryDto[], actor: Principal | undefined): void {
    const allowed = this.scope.institutionsOf(actor, 'write');
    if (allowed === 'all') return;
    const outside = dtos.map((d, i) => ({ row: i + 1, provider: String(d.providerId).toLowerCase() })).filter((r) => !allowed.has(r.provider));
    if (outside.length === 0) return;
    const rows = dtos.length > 1 ? ` (rows ${outside.map((r) => r.row).join(', ')})` : '';
    throw new NotAllowedError(
      `institution staff register entries of their own institution only; providerId ${outside[0].provider} is another institution${rows}`,
    );
  }

  private newState(dto: CreateEntryDto, now: string): EntryState {
    return {
      id: randomUUID(),
      origin: this.config.code,
      code: dto.code ?? '',
      type: dto.type,
      name: dto.name.trim(),
      summary: dto.summary,
      providerId: dto.providerId.toLowerCase(),
      category: dto.category,
      grade: dto.grade,
      shareType: dto.shareType,
      shareCondition: dto.shareCondition ?? null,
      legalBasis: dto.legalBasis ?? null,
      openType: dto.openType,
      updateCycle: dto.updateCycle,
      format: dto.format ?? null,
      regionScope: dto.regionScope ?? this.config.code,
      dataItems: dto.dataItems?.map(({ name, type, sensitive }) => ({ name, type, sensitive })) ?? [],
      relatedResources: dto.relatedResources ?? [],
      releaseDate: dto.releaseDate ?? null,
      status: 'active',
      version: 1,
      createdAt: now,
      updatedAt: now,
    };
  }

  /** Gives each state without a code the next generated one, skipping any a user already chose. */
  private async assignGeneratedCodes(manager: EntityManager, states: EntryState[]): Promise<void> {
    let waiting = states;
    while (waiting.length > 0) {
      const numbers = await this.entries.nextCodeNumbers(manager, waiting.length);
      const candidates = waiting.map((state, i) => `${this.config.code}-${TYPE_LETTER[state.type]}-${String(numbers[i]).padStart(6, '0')}`);
      const taken = await this.entries.takenCodes(manager, this.config.code, candidates);
      waiting.forEach((state, i) => {
        if (!taken.has(candidates[i])) state.code = candidates[i];
      });
      waiting = waiting.filter((state) => !state.code);
    }
  }

  private async ownEntryForChange(manager: EntityManager, id: string, allowRetired = false): Promise<EntryState> {
    const current = await this.entries.findById(manager, id, true);
    if (!current) throw DomainRefusal.notFound(`no catalog entry ${id} at this node`);
    if (current.origin !== this.config.code) {
      throw DomainRefusal.refused([
        { rule: 'origin-only', article: 'Article 11', message: `entry ${id} is a replica; only its origin ${current.origin} changes it` },
      ]);
    }
    if (current.status === 'retired' && !allowRetired) {
      throw DomainRefusal.refused([{ rule: 'retired-is-final', article: 'Article 11', message: `entry ${id} is retired and takes no new versions` }]);
    }
    return current;
  }

  private async refusalsOf(manager: EntityManager, state: EntryState, stateSecret: boolean): Promise<Refusal[]> {
    const provider = await this.institutions.findLocalActive(manager, state.providerId, this.config.code);
    return refusalsFor(state, { nodeCode: this.config.code, providerIsLocal: provider !== undefined, stateSecret });
  }
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
