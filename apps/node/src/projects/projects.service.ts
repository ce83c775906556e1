import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import {
  PROJECT_STAGES,
  type Page,
  type ProjectDeclaration,
  type ProjectReviewView,
  type ProjectStage,
  type ProjectStateData,
  type ProjectStateView,
  type ProjectStatus,
  type ProjectView,
  type SynonymGroupView,
  type SynonymsView,
} from '@tdx/contracts';
import { NODE_CONFIG, NodeRuntimeConfig } from '../config/node-config';
import { DomainRefusal } from '../common/domain-refusal';
import { cursors } from '../common/cursor';
import { pageOf } from '../common/paging';
import { actorOf, Principal } from '../access/principal';
import { AuditLog } from '../audit/audit-log.service';
import { CatalogEntryRepository } from '../catalog/catalog-entry.repository';
import { InstitutionScope } from '../catalog/institution-scope';
import { InstitutionRepository } from '../institutions/institution.repository';
import { ShareRequestRepository } from '../sharing/share-request.repository';
import { SupervisionStates } from '../supervision/supervision-states.service';
import { ItemMatcher, PlannedItems } from './item-matcher';
import { DuplicateFinding, duplicateItems, HeldEntry, reviewProject } from './project-clauses';
import { ProjectRepository, ProjectRow } from './project.repository';
import type { AmendProjectDto, DeclareProjectDto, ListProjectsQuery } from './dto/project.dto';

const ARTICLE = 'Article 12';
/** Data entries read per page while matching planned items: bounded memory at the province, which holds every entry. */
const SCAN_PAGE = 2000;
/** Findings kept at most: enough to name the duplicates, not a list the size of the catalog. */
const MAX_FINDINGS = 200;

/** The stage a project at `status` may be reviewed at next, and what approving it makes the project. */
const NEXT_STAGE: Partial<Record<ProjectStatus, ProjectStage>> = { declared: 'approval', approved: 'acceptance', accepted: 'operations' };
const APPROVED_STATUS: Record<ProjectStage, ProjectStatus> = { approval: 'approved', acceptance: 'accepted', operations: 'funded' };

/**
 * Digital project review (Article 12): an institution declares a project at its node; the node's
 * operator reviews it at approval, acceptance and operations funding, in that order, each stage
 * decided clause by clause (project-clauses.ts). Every decision is audited and published upward
 * as the project's signed review state.
 */
@Injectable()
export class ProjectsService {
  constructor(
    @Inject(NODE_CONFIG) private readonly config: NodeRuntimeConfig,
    private readonly dataSource: DataSource,
    private readonly projects: ProjectRepository,
    private readonly entries: CatalogEntryRepository,
    private readonly institutions: InstitutionRepository,
    private readonly shares: ShareRequestRepository,
    private readonly scope: InstitutionScope,
    private readonly states: SupervisionStates,
    private readonly audit: AuditLog,
  ) {}

  async declare(dto: DeclareProjectDto, actor: Principal): Promise<ProjectView> {
    this.scope.assertMayActFor(actor, dto.institutionId, 'write');
    const declaration = declarationOf(dto, dto.institutionId.toLowerCase());
    const view = await this.dataSource.transaction(async (manager) => {
      const institution = await this.institutions.findLocalActive(manager, declaration.institutionId, this.config.code);
      if (!institution) {
        throw DomainRefusal.refused([
          {
            rule: 'project-institution',
            article: ARTICLE,
            message: `institution ${declaration.institutionId} is not an active institution registered at this node`,
          },
        ]);
      }
      const now = new Date().toISOString();
      const row: Omit<ProjectRow, 'rowSeq'> = {
        id: randomUUID(),
        institutionId: declaration.institutionId,
        institutionName: institution.name,
        name: declaration.name,
        declaration,
        declarationVersion: 1,
        status: 'declared',
        declaredBy: actorOf(actor),
        createdAt: now,
        updatedAt: now,
      };
      await this.projects.insert(manager, row);
      await this.states.publish(manager, 'project', `project:${row.id}`, stateOf(row, []));
      await this.audit.append(
        { actor: row.declaredBy, action: 'project.declare', target: row.id, outcome: 'declared', details: { institution: row.institutionId, name: row.name } },
        manager,
      );
      return viewOf(this.config.code, row, []);
    });
    this.states.relay();
    return view;
  }

  /** Replaces the declaration's parts; a refused project may then be reviewed again at the stage that refused it. */
  async amend(id: string, dto: AmendProjectDto, actor: Principal): Promise<ProjectView> {
    const view = await this.dataSource.transaction(async (manager) => {
      const project = await this.ownProject(manager, id, actor, true);
      if (project.status === 'funded') {
        throw DomainRefusal.refused([
          {
            rule: 'project-stages-decided',
            article: ARTICLE,
            message: 'every stage of this project is decided (operations funding approved): it can no longer be amended',
          },
        ]);
      }
      const reviews = await this.projects.reviewsOf(manager, id);
      const declaration = declarationOf(dto, project.institutionId);
      // Amending lifts a refusal: the project stands again where its last approved stage left it.
      const approved = reviews.filter((r) => r.decision === 'approve').map((r) => r.stage);
      const status: ProjectStatus = approved.length === 0 ? 'declared' : APPROVED_STATUS[approved[approved.length - 1]];
      const now = new Date().toISOString();
      await this.projects.amend(manager, id, { name: declaration.name, declaration, status, at: now });
      const next = { ...project, name: declaration.name, declaration, status, declarationVersion: project.declarationVersion + 1, updatedAt: now };
      await this.states.publish(manager, 'project', `project:${id}`, stateOf(next, reviews));
      await this.audit.append(
        { actor: actorOf(actor), action: 'project.amend', target: id, outcome: 'amended', details: { declarationVersion: next.declarationVersion, status } },
        manager,
      );
      return viewOf(this.config.code, next, reviews);
    });
    this.states.relay();
    return view;
  }

  async review(id: string, stage: ProjectStage, actor: Principal): Promise<ProjectReviewView> {
    const review = await this.dataSource.transaction(async (manager) => {
      const project = await this.projects.find(manager, id, true);
      if (!project) throw DomainRefusal.notFound(`no project ${id} at this node`);
      assertInOrder(project.status, stage);
      const outcome = reviewProject(await this.factsOf(manager, project, stage));
      const row: ProjectReviewView = {
        id: randomUUID(),
        projectId: id,
        stage,
        decision: outcome.decision,
        declarationVersion: project.declarationVersion,
        clauses: outcome.clauses,
        decidedBy: actorOf(actor),
        decidedAt: new Date().toISOString(),
      };
      await this.projects.insertReview(manager, row);
      const status: ProjectStatus = outcome.decision === 'approve' ? APPROVED_STATUS[stage] : 'refused';
      await this.projects.setStatus(manager, id, status, row.decidedAt);
      const reviews = await this.projects.reviewsOf(manager, id);
      await this.states.publish(manager, 'project', `project:${id}`, stateOf({ ...project, status }, reviews));
      await this.audit.append(
        {
          actor: row.decidedBy,
          action: 'project.review',
          target: id,
          outcome: outcome.decision,
          details: {
            stage,
            review: row.id,
            failed: outcome.clauses.filter((c) => c.outcome === 'fail').map((c) => c.clause),
            institution: project.institutionId,
          },
        },
        manager,
      );
      return row;
    });
    this.states.relay();
    return review;
  }

  async get(id: string, actor: Principal): Promise<ProjectView> {
    const project = await this.ownProject(this.dataSource.manager, id, actor, false);
    return viewOf(this.config.code, project, await this.projects.reviewsOf(this.dataSource.manager, id));
  }

  async list(query: ListProjectsQuery, actor: Principal): Promise<Page<ProjectView>> {
    const allowed = this.scope.institutionsOf(actor, 'write');
    const rows = await this.projects.list(this.dataSource.manager, {
      institutions: allowed === 'all' ? undefined : [...allowed],
      institutionId: query.institutionId?.toLowerCase(),
      status: query.status,
      afterSeq: cursors.seq(query.cursor),
      limit: query.limit,
    });
    const last = rows[rows.length - 1];
    return pageOf(
      rows.map((r) => viewOf(this.config.code, r, [])),
      query.limit,
      last ? cursors.ofSeq(last.rowSeq) : undefined,
    );
  }

  /** The subtree's project review states, as their nodes signed them. */
  async supervised(q: { within?: string; limit: number; cursor?: string }): Promise<Page<ProjectStateView>> {
    const after = cursors.key(q.cursor);
    const [origin, key] = after ? after.split('|') : [];
    const states = await this.states.find({
      topic: 'project',
      within: q.within,
      keyPrefix: 'project:',
      limit: q.limit,
      after: origin && key ? { origin, key } : undefined,
    });
    const items = states.map((s) => ({
      origin: s.origin,
      key: s.key,
      version: s.version,
      computedAt: s.computedAt,
      data: s.data as ProjectStateData,
      payload: s.envelope.payload,
      sig: s.envelope.sig,
    }));
    const last = items[items.length - 1];
    return pageOf(items, q.limit, last ? cursors.ofKey(`${last.origin}|${last.key}`) : undefined);
  }

  async synonyms(): Promise<SynonymsView> {
    return { groups: await this.projects.synonymGroups(this.dataSource.manager) };
  }

  async replaceSynonyms(groups: string[][], actor: Principal): Promise<SynonymsView> {
    return this.dataSource.transaction(async (manager) => {
      await this.projects.replaceSynonyms(manager, groups.map(cleanNames));
      await this.audit.append(
        { actor: actorOf(actor), action: 'project.synonyms', target: null, outcome: 'replaced', details: { groups: groups.length } },
        manager,
      );
      return { groups: await this.projects.synonymGroups(manager) };
    });
  }

  async addSynonymGroup(names: string[], actor: Principal): Promise<SynonymGroupView> {
    return this.dataSource.transaction(async (manager) => {
      const group = await this.projects.addSynonymGroup(manager, cleanNames(names));
      await this.audit.append(
        { actor: actorOf(actor), action: 'project.synonyms', target: group.id, outcome: 'added', details: { names: group.names.length } },
        manager,
      );
      return group;
    });
  }

  private async ownProject(manager: EntityManager, id: string, actor: Principal, forUpdate: boolean): Promise<ProjectRow> {
    const project = await this.projects.find(manager, id, forUpdate);
    if (!project) throw DomainRefusal.notFound(`no project ${id} at this node`);
    this.scope.assertMayActFor(actor, project.institutionId, 'write');
    return project;
  }

  /** What the clauses judge: the entries the declaration names, the planned items found in the catalog, the institution's sharing record. */
  private async factsOf(manager: EntityManager, project: ProjectRow, stage: ProjectStage) {
    const declaration = project.declaration;
    const refs = [
      ...new Set([...declaration.resources.map((r) => r.ref), ...declaration.systems.flatMap((s) => (s.catalogEntry === null ? [] : [s.catalogEntry]))]),
    ];
    const entriesByRef = new Map<string, HeldEntry[]>();
    for (const entry of await this.entries.findByRefs(manager, refs)) {
      for (const ref of refs) {
        if (ref.toLowerCase() === entry.id || ref === entry.code) entriesByRef.set(ref, [...(entriesByRef.get(ref) ?? []), entry]);
      }
    }
    const matcher = new ItemMatcher((await this.projects.synonymGroups(manager)).map((g) => g.names));
    const planned = new PlannedItems(
      matcher,
      declaration.dataItems.map((i) => i.name),
    );
    const duplicates: DuplicateFinding[] = [];
    let compared = 0;
    for (let after = 0; ;) {
      const page = await this.entries.activeDataPage(manager, after, SCAN_PAGE);
      if (page.lastSeq === null) break;
      compared += page.items.length;
      if (duplicates.length < MAX_FINDINGS) duplicates.push(...duplicateItems({ declaration, dataEntries: page.items, planned, entriesByRef }));
      after = page.lastSeq;
    }
    const counts = await this.entries.sharingCounts(manager, this.config.code, project.institutionId);
    const overdueRequests = await this.shares.overdueForProvider(manager, project.institutionId, new Date());
    return {
      stage,
      declaration,
      entriesByRef,
      duplicates: duplicates.slice(0, MAX_FINDINGS),
      dataEntriesCompared: compared,
      sharing: { ...counts, overdueRequests },
    };
  }
}

/** Refuses a review out of order (422, nothing stored): stages go approval, acceptance, operations, and a refusal holds until an amendment. */
function assertInOrder(status: ProjectStatus, stage: ProjectStage): void {
  if (status === 'refused') {
    throw DomainRefusal.refused([
      {
        rule: 'project-refused-until-amended',
        article: ARTICLE,
        message: 'this project was refused at its last review: amend it before any stage is reviewed again',
      },
    ]);
  }
  const expected = NEXT_STAGE[status];
  const done = PROJECT_STAGES.slice(0, expected ? PROJECT_STAGES.indexOf(expected) : PROJECT_STAGES.length);
  if (done.includes(stage)) {
    throw DomainRefusal.refused([{ rule: 'project-stage-decided', article: ARTICLE, message: `the ${stage} stage of this project is already approved` }]);
  }
  if (stage !== expected) {
    throw DomainRefusal.refused([
      {
        rule: 'project-stage-order',
        article: ARTICLE,
        message: `stages are reviewed in order (approval, acceptance, operations): this project is ${status}, so its next stage is ${expected}, not ${stage}`,
      },
    ]);
  }
}

/** The declaration as stored: the validated body, references trimmed, the institution id in lower case. */
function declarationOf(dto: Omit<DeclareProjectDto, 'institutionId'>, institutionId: string): ProjectDeclaration {
  return {
    name: dto.name.trim(),
    institutionId,
    funds: { amountYuan: dto.funds.amountYuan, source: dto.funds.source.trim() },
    systems: dto.systems.map((s) => ({
      name: s.name.trim(),
      outsidePlatform: s.outsidePlatform,
      consentRef: trimmed(s.consentRef),
      catalogEntry: trimmed(s.catalogEntry),
    })),
    networks: dto.networks.map((n) => ({ name: n.name.trim(), kind: n.kind, consentRef: trimmed(n.consentRef) })),
    dataItems: dto.dataItems.map((i) => ({ name: i.name.trim(), type: i.type, sensitive: i.sensitive })),
    dataGrade: dto.dataGrade,
    resources: dto.resources.map((r) => ({ ref: r.ref.trim(), type: r.type, use: r.use })),
    security: {
      cryptoAssessmentRef: trimmed(dto.security.cryptoAssessmentRef),
      cryptoAssessmentResult: dto.security.cryptoAssessmentResult,
      protectionLevel: dto.security.protectionLevel,
      filingNumber: trimmed(dto.security.filingNumber),
      managementPlanRef: trimmed(dto.security.managementPlanRef),
    },
  };
}

function trimmed(value: string | null): string | null {
  return value === null ? null : value.trim();
}

function cleanNames(names: string[]): string[] {
  return [...new Set(names.map((n) => n.trim()))];
}

/** The project's review state as published upward: the newest review of each stage, in stage order. */
function stateOf(
  p: Pick<ProjectRow, 'id' | 'institutionId' | 'institutionName' | 'name' | 'declaration' | 'status' | 'declarationVersion'>,
  reviews: ProjectReviewView[],
): ProjectStateData {
  const stages = PROJECT_STAGES.flatMap((stage) => {
    const last = reviews.filter((r) => r.stage === stage).pop();
    return last
      ? [
          {
            stage,
            decision: last.decision,
            decidedAt: last.decidedAt,
            decidedBy: last.decidedBy,
            declarationVersion: last.declarationVersion,
            clauses: last.clauses,
          },
        ]
      : [];
  });
  return {
    projectId: p.id,
    institutionId: p.institutionId,
    institutionName: p.institutionName,
    name: p.name,
    funds: p.declaration.funds,
    status: p.status,
    declarationVersion: p.declarationVersion,
    stages,
  };
}

function viewOf(origin: string, p: ProjectRow | Omit<ProjectRow, 'rowSeq'>, reviews: ProjectReviewView[]): ProjectView {
  return {
    ...p.declaration,
    id: p.id,
    origin,
    name: p.name,
    institutionName: p.institutionName,
    status: p.status,
    declarationVersion: p.declarationVersion,
    declaredBy: p.declaredBy,
    createdAt: p.createdAt,
    updatedAt: p.updatedAt,
    reviews,
  };
}
