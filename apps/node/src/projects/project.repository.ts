import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { queryReturning } from '../common/returning';
import type { ClauseDecision, ProjectDeclaration, ProjectReviewView, ProjectStage, ProjectStatus, StageDecision, SynonymGroupView } from '@tdx/contracts';

/** A project as stored: its declaration (the validated body) and where its review stands. */
export interface ProjectRow {
  id: string;
  institutionId: string;
  institutionName: string;
  name: string;
  declaration: ProjectDeclaration;
  declarationVersion: number;
  status: ProjectStatus;
  declaredBy: string;
  createdAt: string;
  updatedAt: string;
  rowSeq: number;
}

const COLUMNS = `id, institution_id AS "institutionId", institution_name AS "institutionName", name, declaration,
  declaration_version AS "declarationVersion", status, declared_by AS "declaredBy", created_at AS "createdAt",
  updated_at AS "updatedAt", row_seq AS "rowSeq"`;

const REVIEW_COLUMNS = `id, project_id AS "projectId", stage, decision, declaration_version AS "declarationVersion", clauses,
  decided_by AS "decidedBy", decided_at AS "decidedAt"`;

/** The one owner of `project`, `project_review` and `project_synonym_group`. */
@Injectable()
export class ProjectRepository {
  async insert(manager: EntityManager, p: Omit<ProjectRow, 'rowSeq'>): Promise<void> {
    await manager.query(
      `INSERT INTO project (id, institution_id, institution_name, name, declaration, declaration_version, status, declared_by, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9, $10)`,
      [p.id, p.institutionId, p.institutionName, p.name, JSON.stringify(p.declaration), p.declarationVersion, p.status, p.declaredBy, p.createdAt, p.updatedAt],
    );
  }

  async find(manager: EntityManager, id: string, forUpdate = false): Promise<ProjectRow | undefined> {
    const rows = await manager.query(`SELECT ${COLUMNS} FROM project WHERE id = $1${forUpdate ? ' FOR UPDATE' : ''}`, [id]);
    return rows[0] ? toProject(rows[0]) : undefined;
  }

  async list(
    manager: EntityManager,
    f: { institutions?: string[]; institutionId?: string; status?: ProjectStatus; afterSeq: number; limit: number },
  ): Promise<ProjectRow[]> {
    const rows = await manager.query(
      `SELECT ${COLUMNS} FROM project WHERE row_seq > $1 AND ($2::uuid[] IS NULL OR institution_id = ANY($2))
         AND ($3::uuid IS NULL OR institution_id = $3) AND ($4::text IS NULL OR status = $4)
       ORDER BY row_seq LIMIT $5`,
      [f.afterSeq, f.institutions ?? null, f.institutionId ?? null, f.status ?? null, f.limit],
    );
    return rows.map(toProject);
  }

  async amend(manager: EntityManager, id: string, change: { name: string; declaration: ProjectDeclaration; status: ProjectStatus; at: string }): Promise<void> {
    await manager.query(
      `UPDATE project SET name = $2, declaration = $3::jsonb, declaration_version = declaration_version + 1, status = $4, updated_at = $5 WHERE id = $1`,
      [id, change.name, JSON.stringify(change.declaration), change.status, change.at],
    );
  }

  async setStatus(manager: EntityManager, id: string, status: ProjectStatus, at: string): Promise<void> {
    await manager.query(`UPDATE project SET status = $2, updated_at = $3 WHERE id = $1`, [id, status, at]);
  }

  async insertReview(
    manager: EntityManager,
    r: {
      id: string;
      projectId: string;
      stage: ProjectStage;
      decision: StageDecision;
      declarationVersion: number;
      clauses: ClauseDecision[];
      decidedBy: string;
      decidedAt: string;
    },
  ): Promise<void> {
    await manager.query(
      `INSERT INTO project_review (id, project_id, stage, decision, declaration_version, clauses, decided_by, decided_at)
       VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8)`,
      [r.id, r.projectId, r.stage, r.decision, r.declarationVersion, JSON.stringify(r.clauses), r.decidedBy, r.decidedAt],
    );
  }

  /** Every review of a project, oldest first. */
  async reviewsOf(manager: EntityManager, projectId: string): Promise<ProjectReviewView[]> {
    const rows = await manager.query(`SELECT ${REVIEW_COLUMNS} FROM project_review WHERE project_id = $1 ORDER BY row_seq`, [projectId]);
    return rows.map((r: Record<string, unknown>) => ({ ...r, decidedAt: new Date(r.decidedAt as string).toISOString() }) as ProjectReviewView);
  }

  async synonymGroups(manager: EntityManager): Promise<SynonymGroupView[]> {
    return manager.query(`SELECT id, names FROM project_synonym_group ORDER BY position`);
  }

  async replaceSynonyms(manager: EntityManager, groups: string[][]): Promise<void> {
    await manager.query(`DELETE FROM project_synonym_group`);
    if (groups.length > 0) {
      await manager.query(
        `INSERT INTO project_synonym_group (names) SELECT ARRAY(SELECT jsonb_array_elements_text(g)) FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS t(g, n) ORDER BY n`,
        [JSON.stringify(groups)],
      );
    }
  }

  async addSynonymGroup(manager: EntityManager, names: string[]): Promise<SynonymGroupView> {
    const rows = await queryReturning<SynonymGroupView>(manager, `INSERT INTO project_synonym_group (names) VALUES ($1::text[]) RETURNING id, names`, [names]);
    return rows[0];
  }
}

function toProject(r: Record<string, unknown>): ProjectRow {
  return {
    ...(r as unknown as ProjectRow),
    declarationVersion: Number(r.declarationVersion),
    createdAt: new Date(r.createdAt as string).toISOString(),
    updatedAt: new Date(r.updatedAt as string).toISOString(),
    rowSeq: Number(r.rowSeq),
  };
}
