import { array, integer, nullable, object, oneOf, Schema, text, uuid } from '../schema';

/**
 * Quality figures (Article 7): scores of 0 to 100 with at most two decimals, per dimension and
 * overall, for one catalog entry, one institution (its entries pooled) or the whole node (all its
 * checked entries pooled). A dimension is null where nothing was checked (no unique items, an
 * irregular update cycle, no rows). docs/quality.md says how each figure is computed.
 */
export const QUALITY_DIMENSIONS = ['conformance', 'completeness', 'validity', 'uniqueness', 'timeliness'] as const;
export type QualityDimension = (typeof QUALITY_DIMENSIONS)[number];

export type QualityDimensions = { [D in QualityDimension]: number | null };

/** A rule that found defects, and how many. */
export interface QualityDefectCount {
  rule: string;
  count: number;
}

interface QualityFigures {
  ruleSetVersion: number;
  /** Overall: the dimensions' weighted mean (weights of the rule set), null when no dimension was checked. */
  score: number | null;
  dimensions: QualityDimensions;
  /** Entries checked (1 for an entry). */
  entries: number;
  /** Live dataset rows checked. */
  rows: number;
  /** The rules with the most defects, most first (at most QUALITY_MAX_DEFECTS). */
  defects: QualityDefectCount[];
}

export interface QualityEntryState extends QualityFigures {
  scope: 'entry';
  entryId: string;
  institutionId: string;
}

export interface QualityInstitutionState extends QualityFigures {
  scope: 'institution';
  institutionId: string;
}

export interface QualityNodeState extends QualityFigures {
  scope: 'node';
}

/** The data of a `quality` supervision state. */
export type QualityStateData = QualityEntryState | QualityInstitutionState | QualityNodeState;

export const QUALITY_MAX_DEFECTS = 20;

const RULE_ID = /^[a-z][a-z0-9]*(?:[.-][a-z0-9]+)+$/;
/** A rule id: lower-case words joined by dots and dashes (`item.uscc-check-digit`), up to 80 characters. */
export const qualityRuleId: Schema<string> = text(3, 80, { test: RULE_ID, means: 'lower-case words joined by . and - (item.uscc-check-digit)' });

/** A score: a number from 0 to 100 with at most two decimals. */
export const qualityScore: Schema<number> = ((value: unknown, path: string) =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= 100 && Math.abs(Math.round(value * 100) - value * 100) < 1e-6
    ? undefined
    : `${path} must be a number from 0 to 100 with at most two decimals`) as Schema<number>;

const dimensions = object<QualityDimensions>({
  conformance: nullable(qualityScore),
  completeness: nullable(qualityScore),
  validity: nullable(qualityScore),
  uniqueness: nullable(qualityScore),
  timeliness: nullable(qualityScore),
});

const figures = {
  ruleSetVersion: integer(1),
  score: nullable(qualityScore),
  dimensions,
  entries: integer(0),
  rows: integer(0),
  defects: array(object<QualityDefectCount>({ rule: qualityRuleId, count: integer(1) }), QUALITY_MAX_DEFECTS),
};

const entryState = object<QualityEntryState>({ scope: oneOf(['entry'] as const), entryId: uuid, institutionId: uuid, ...figures });
const institutionState = object<QualityInstitutionState>({ scope: oneOf(['institution'] as const), institutionId: uuid, ...figures });
const nodeState = object<QualityNodeState>({ scope: oneOf(['node'] as const), ...figures });

/** Strict: the scope picks the shape, and any field that shape lacks is refused. */
export const qualityStateData: Schema<QualityStateData> = ((value: unknown, path: string) => {
  const scope = typeof value === 'object' && value !== null ? (value as { scope?: unknown }).scope : undefined;
  if (scope === 'entry') return entryState(value, path);
  if (scope === 'institution') return institutionState(value, path);
  if (scope === 'node') return nodeState(value, path);
  return `${path}.scope must be one of entry, institution, node`;
}) as Schema<QualityStateData>;

/** What POST /supervision/quality/run answers: the node's figures after the run, and its times. */
export interface QualityRunView {
  startedAt: string;
  finishedAt: string;
  node: QualityNodeState;
}

/** A quality state of this node or its subtree, as GET /supervision/quality lists it. */
export interface QualityStateView {
  origin: string;
  key: string;
  version: number;
  computedAt: string;
  data: QualityStateData;
}

/** One rule's findings on one entry: row keys only, never values. */
export interface QualityRuleFindingView {
  rule: string;
  dimension: QualityDimension;
  weight: number;
  checked: number;
  failed: number;
  defects: number;
  sampleRowKeys: string[];
}

/** GET /supervision/quality/entries/:id: the latest check of one of this node's entries. */
export interface QualityEntryDetailView {
  entryId: string;
  institutionId: string;
  ruleSetVersion: number;
  checkedAt: string;
  rows: number;
  score: number | null;
  dimensions: QualityDimensions;
  rules: QualityRuleFindingView[];
}
