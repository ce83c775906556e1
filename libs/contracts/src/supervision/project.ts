import { array, integer, object, oneOf, refined, Schema, text, timestamp, uuid } from '../schema';

/**
 * Digital project review (Article 12): the three stages a project funded by the province's fiscal
 * funds passes in this order, and the five cases of the article that refuse it at any of them.
 */
export const PROJECT_STAGES = ['approval', 'acceptance', 'operations'] as const;
export type ProjectStage = (typeof PROJECT_STAGES)[number];

/**
 * Article 12's cases: (a) a private network or independent platform without consent; (b) a system
 * outside the public data platform without consent; (c) resources not managed in the integrated
 * digital resource system; (d) data not shared or opened as required, or collected again; (e)
 * cryptography and security management not as required.
 */
export const PROJECT_CLAUSES = ['a', 'b', 'c', 'd', 'e'] as const;
export type ProjectClause = (typeof PROJECT_CLAUSES)[number];

export const CLAUSE_OUTCOMES = ['pass', 'fail'] as const;
export type ClauseOutcome = (typeof CLAUSE_OUTCOMES)[number];

export const STAGE_DECISIONS = ['approve', 'refuse'] as const;
export type StageDecision = (typeof STAGE_DECISIONS)[number];

/** Where a project stands: the last stage approved (none yet: `declared`), or `refused` until it is amended. */
export const PROJECT_STATUSES = ['declared', 'refused', 'approved', 'accepted', 'funded'] as const;
export type ProjectStatus = (typeof PROJECT_STATUSES)[number];

/** A reason is bounded, so a project's whole state stays a few tens of kilobytes on the wire. */
export const CLAUSE_REASON_MAX = 1000;

/** One clause's decision: pass or fail, and why (the clause, the article, the evidence). */
export interface ClauseDecision {
  clause: ProjectClause;
  outcome: ClauseOutcome;
  reason: string;
}

/** A stage's decision: approve only when every clause passes. */
export interface StageReview {
  stage: ProjectStage;
  decision: StageDecision;
  decidedAt: string;
  /** Who decided: `user:<name>` at the reviewing node. */
  decidedBy: string;
  /** The declaration's version the review read. */
  declarationVersion: number;
  clauses: ClauseDecision[];
}

/** The data of a `project` supervision state (key `project:<id>`): the project's whole review state. */
export interface ProjectStateData {
  projectId: string;
  institutionId: string;
  institutionName: string;
  name: string;
  funds: { amountYuan: number; source: string };
  status: ProjectStatus;
  declarationVersion: number;
  /** The newest review of each stage reviewed so far, in stage order. */
  stages: StageReview[];
}

const clauseDecision = object<ClauseDecision>({
  clause: oneOf(PROJECT_CLAUSES),
  outcome: oneOf(CLAUSE_OUTCOMES),
  reason: text(1, CLAUSE_REASON_MAX),
});

const stageReview = refined(
  object<StageReview>({
    stage: oneOf(PROJECT_STAGES),
    decision: oneOf(STAGE_DECISIONS),
    decidedAt: timestamp,
    decidedBy: text(1, 200),
    declarationVersion: integer(1),
    clauses: array(clauseDecision, PROJECT_CLAUSES.length),
  }),
  // The decision follows from the clauses: a state that says otherwise is not believed.
  (r) => r.clauses.length === PROJECT_CLAUSES.length && (r.decision === 'approve') === r.clauses.every((c) => c.outcome === 'pass'),
  'a stage decision lists the five clauses and approves only when every clause passes',
);

export const projectStateData: Schema<ProjectStateData> = object<ProjectStateData>({
  projectId: uuid,
  institutionId: uuid,
  institutionName: text(1, 200),
  name: text(1, 200),
  funds: object<ProjectStateData['funds']>({ amountYuan: integer(1, 1e13), source: text(1, 200) }),
  status: oneOf(PROJECT_STATUSES),
  declarationVersion: integer(1),
  stages: array(stageReview, PROJECT_STAGES.length),
});
