import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { fits, isUuid, RETURN_TEXT, type OpenApplicationCreatedView, type OpenApplicationView, type Page } from '@tdx/contracts';
import { NODE_CONFIG, NodeRuntimeConfig } from '../config/node-config';
import { actorOf, type Principal } from '../access/principal';
import { CatalogEntryRepository } from '../catalog/catalog-entry.repository';
import { InstitutionScope } from '../catalog/institution-scope';
import { Channel, type DurableCall } from '../channel/channel';
import { cursors } from '../common/cursor';
import { DomainRefusal } from '../common/domain-refusal';
import { pageOf } from '../common/paging';
import type { CreateOpenApplicationDto, ListOpenApplicationsQuery } from './dto/open-data.dto';
import { NewOpenApplication, OpenApplicationRepository, OpenDecision } from './open-application.repository';
import { OpenEntries } from './open-entries';
import { openRefusals } from './open-rules';
import { tokenHash } from './open-rows.service';

export const OPEN_APPLICATION_KIND = 'open.application';
export const OPEN_DECISION_KIND = 'open.decision';

const DAY_MS = 86_400_000;
const TEXT_MAX = 200;
const HASH = /^[0-9a-f]{64}$/;

/**
 * Applications for restricted open data (Article 10). The applicant applies anonymously at any
 * node and gets an id and a secret token, shown once. The application travels durably to the
 * entry's origin (`open.application`), where the provider's institution admin or the node's
 * operator decides; the decision travels durably back (`open.decision`). The applicant reads the
 * state with id and token at the node applied at, and once approved downloads with the token at
 * any node until the approval expires: the origin checks the token on every page.
 */
@Injectable()
export class OpenApplicationsService implements OnModuleInit {
  constructor(
    @Inject(NODE_CONFIG) private readonly config: NodeRuntimeConfig,
    private readonly dataSource: DataSource,
    private readonly applications: OpenApplicationRepository,
    private readonly entries: CatalogEntryRepository,
    private readonly openEntries: OpenEntries,
    private readonly scope: InstitutionScope,
    private readonly channel: Channel,
  ) {}

  onModuleInit(): void {
    this.channel.receive(OPEN_APPLICATION_KIND, (manager, call) => this.received(manager, call));
    this.channel.receive(OPEN_DECISION_KIND, (manager, call) => this.decisionReceived(manager, call));
  }

  async apply(dto: CreateOpenApplicationDto): Promise<OpenApplicationCreatedView> {
    const entry = await this.openEntries.openEntry(dto.entryId, 'apply');
    const token = randomBytes(32).toString('base64url');
    const application: NewOpenApplication = {
      id: randomUUID(),
      entryId: entry.id,
      origin: entry.origin,
      appliedAt: this.config.code,
      applicantName: dto.applicantName,
      organisation: dto.organisation,
      contact: dto.contact,
      purpose: dto.purpose,
      tokenHash: tokenHash(token),
    };
    await this.dataSource.transaction(async (manager) => {
      await this.applications.insert(manager, application);
      if (entry.origin !== this.config.code) await this.channel.enqueue(manager, entry.origin, OPEN_APPLICATION_KIND, wireOf(application));
    });
    return { application: await this.view(application.id), token };
  }

  /** The applicant's view: the id and the token given with it, else 404 (a wrong token learns nothing). */
  async status(id: string, token: string | undefined): Promise<OpenApplicationView> {
    const found = await this.applications.find(this.dataSource.manager, id);
    if (!found || token === undefined || !sameHash(found.tokenHash, tokenHash(token))) {
      throw DomainRefusal.notFound(`no application ${id} with that token at this node`);
    }
    const { tokenHash: _hash, ...view } = found;
    return view;
  }

  async list(principal: Principal, query: ListOpenApplicationsQuery): Promise<Page<OpenApplicationView>> {
    const allowed = this.scope.institutionsOf(principal, 'write');
    const { items, lastSeq } = await this.applications.listToDecide(this.dataSource.manager, this.config.code, {
      state: query.state,
      providers: allowed === 'all' ? 'all' : [...allowed],
      afterSeq: cursors.seq(query.cursor),
      limit: query.limit,
    });
    return pageOf(items, query.limit, lastSeq === null ? undefined : cursors.ofSeq(lastSeq));
  }

  async approve(principal: Principal, id: string, reason: string | undefined, days: number): Promise<OpenApplicationView> {
    return this.decide(principal, id, (decidedAt) => ({
      state: 'approved',
      reason: reason ?? null,
      decidedBy: actorOf(principal),
      decidedAt: decidedAt.toISOString(),
      expiresAt: new Date(decidedAt.getTime() + days * DAY_MS).toISOString(),
    }));
  }

  async reject(principal: Principal, id: string, reason: string): Promise<OpenApplicationView> {
    return this.decide(principal, id, (decidedAt) => ({
      state: 'rejected',
      reason,
      decidedBy: actorOf(principal),
      decidedAt: decidedAt.toISOString(),
      expiresAt: null,
    }));
  }

  /** At the origin: the provider's admin (or the operator) decides a pending application; the decision goes back durably. */
  private async decide(principal: Principal, id: string, decisionAt: (now: Date) => OpenDecision): Promise<OpenApplicationView> {
    await this.dataSource.transaction(async (manager) => {
      const found = await this.applications.find(manager, id, true);
      if (!found || found.origin !== this.config.code) throw DomainRefusal.notFound(`no application ${id} to decide at this node`);
      const entry = await this.entries.findById(manager, found.entryId);
      if (entry) this.scope.assertMayActFor(principal, entry.providerId, 'write');
      if (found.state !== 'pending') throw DomainRefusal.conflict(`application ${id} is ${found.state} already`, 'state');
      const decision = decisionAt(new Date());
      if (decision.state === 'approved') {
        // The entry may have changed since the application: approve only what may still be opened.
        const refusals = entry ? openRefusals(entry, 'apply') : [];
        if (!entry) throw DomainRefusal.notFound(`entry ${found.entryId} is no longer held at this node`);
        if (refusals.length > 0) throw DomainRefusal.refused(refusals, { permanent: true });
      }
      await this.applications.decide(manager, id, decision);
      await this.sendDecision(manager, found, decision);
    });
    return this.view(id);
  }

  private async sendDecision(manager: EntityManager, application: Pick<OpenApplicationView, 'id' | 'appliedAt'>, d: OpenDecision): Promise<void> {
    if (application.appliedAt === this.config.code) return;
    await this.channel.enqueue(manager, application.appliedAt, OPEN_DECISION_KIND, {
      id: application.id,
      state: d.state,
      reason: d.reason,
      decidedAt: d.decidedAt,
      expiresAt: d.expiresAt,
    });
  }

  /**
   * At the origin, an application from another node: hostile input. Malformed: dropped (nothing
   * stored). An entry that may not be opened (not ours, unknown, retired, prohibited, L4): stored
   * rejected with the rule, and the rejection sent back, so the applicant learns why.
   */
  private async received(manager: EntityManager, call: DurableCall): Promise<void> {
    const application = applicationOf(call.body, call.from, this.config.code);
    if (!application) return;
    const entry = await this.entries.findById(manager, application.entryId);
    const refusals = !entry || entry.origin !== this.config.code ? null : openRefusals(entry, 'apply');
    const refusal =
      refusals === null
        ? `node ${this.config.code} registered no entry ${application.entryId}`
        : refusals.length > 0
          ? `${refusals[0].rule}: ${refusals[0].message}`
          : null;
    if (refusal === null) {
      await this.applications.insert(manager, application);
      return;
    }
    const decision: OpenDecision = {
      state: 'rejected',
      reason: refusal,
      decidedBy: `node:${this.config.code}`,
      decidedAt: new Date().toISOString(),
      expiresAt: null,
    };
    if (await this.applications.insert(manager, application, decision)) await this.sendDecision(manager, application, decision);
  }

  /** At the node applied at: the origin's decision, only from that origin, only on a pending application. */
  private async decisionReceived(manager: EntityManager, call: DurableCall): Promise<void> {
    const b = call.body as Record<string, unknown> | null;
    if (typeof b !== 'object' || b === null || !isUuid(b.id) || (b.state !== 'approved' && b.state !== 'rejected')) return;
    const found = await this.applications.find(manager, b.id, true);
    if (!found || found.origin !== call.from || found.appliedAt !== this.config.code) return;
    const reason = b.reason === null || b.reason === undefined ? null : fits(RETURN_TEXT, b.reason) ? b.reason : null;
    const decidedAt = isTime(b.decidedAt) ? b.decidedAt : call.at;
    const expiresAt = b.state === 'approved' && isTime(b.expiresAt) ? b.expiresAt : null;
    await this.applications.decide(manager, found.id, { state: b.state, reason, decidedBy: `node:${call.from}`, decidedAt, expiresAt });
  }

  private async view(id: string): Promise<OpenApplicationView> {
    const found = await this.applications.find(this.dataSource.manager, id);
    if (!found) throw DomainRefusal.notFound(`no application ${id}`);
    const { tokenHash: _hash, ...view } = found;
    return view;
  }
}

function wireOf(a: NewOpenApplication): Record<string, string> {
  const { id, entryId, applicantName, organisation, contact, purpose, tokenHash: hash } = a;
  return { id, entryId, applicantName, organisation, contact, purpose, tokenHash: hash };
}

/** An `open.application` body checked field by field; undefined when anything is wrong. */
function applicationOf(body: unknown, from: string, origin: string): NewOpenApplication | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const b = body as Record<string, unknown>;
  const line = (v: unknown): v is string => typeof v === 'string' && v.trim() !== '' && v.length <= TEXT_MAX && !/[\p{Cc}]/u.test(v);
  if (!isUuid(b.id) || !isUuid(b.entryId) || !line(b.applicantName) || !line(b.organisation) || !line(b.contact)) return undefined;
  if (!fits(RETURN_TEXT, b.purpose) || typeof b.tokenHash !== 'string' || !HASH.test(b.tokenHash)) return undefined;
  return {
    id: b.id,
    entryId: b.entryId,
    origin,
    appliedAt: from,
    applicantName: b.applicantName,
    organisation: b.organisation,
    contact: b.contact,
    purpose: b.purpose,
    tokenHash: b.tokenHash,
  };
}

function isTime(v: unknown): v is string {
  return typeof v === 'string' && v.length <= 40 && !Number.isNaN(Date.parse(v));
}

function sameHash(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}
