import {
  ASSESSMENT_INDICATORS,
  type AssessmentEvidence,
  type AssessmentIndicator,
  type AssessmentWeights,
  type DivisionScorecard,
  type IndicatorScore,
} from '@tdx/contracts';
import type { Division } from '@tdx/divisions';
import type { CatalogFigures } from './assessment.repository';

/** A supervision state as the scorecard reads it: the header that names it, and its data as received (not trusted to have any field). */
export interface HeldState {
  origin: string;
  topic: 'quality' | 'access';
  key: string;
  version: number;
  computedAt: string;
  data: unknown;
}

/** The rules' names, as the evidence cites them and docs/assessment.md explains them. */
export const CATALOG_RULES = {
  completeness: 'active data entries registered by the end of the year; matching: summary, category, format, release date and at least one data item filled in',
  openness: 'active data entries registered by the end of the year that may open (grade not L4); matching: open type unconditional or restricted',
} as const;

/** Each security event costs this many points of the 100 (ten or more events: 0). */
export const POINTS_PER_SECURITY_EVENT = 10;

/** Equal weights: the built-in set (version 0) until an operator sets one. */
export const DEFAULT_WEIGHTS: AssessmentWeights = Object.fromEntries(
  ASSESSMENT_INDICATORS.map((i) => [i, 1 / ASSESSMENT_INDICATORS.length]),
) as AssessmentWeights;

const round2 = (n: number) => Math.round(n * 100) / 100;

/** `value.path...` if it is a number (finite), else undefined: a missing figure is no evidence, never a crash. */
function numberAt(value: unknown, path: string[]): number | undefined {
  let at: unknown = value;
  for (const key of path) {
    if (typeof at !== 'object' || at === null || Array.isArray(at)) return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  return typeof at === 'number' && Number.isFinite(at) ? at : undefined;
}

const isCount = (n: number | undefined): n is number => n !== undefined && Number.isSafeInteger(n) && n >= 0;
const isPercent = (n: number | undefined): n is number => n !== undefined && n >= 0 && n <= 100;

function stateEvidence(s: HeldState, field: string): AssessmentEvidence {
  return { kind: 'state', origin: s.origin, topic: s.topic, key: s.key, version: s.version, computedAt: s.computedAt, field };
}

type Partial6 = Omit<IndicatorScore, 'weight'>;

/** An indicator read from a state: the state must exist, be of the year, and carry the figure. */
function fromState(
  indicator: AssessmentIndicator,
  topic: HeldState['topic'],
  state: HeldState | undefined,
  year: number,
  field: string,
  read: (data: unknown) => number | undefined,
): Partial6 {
  if (!state) return { indicator, value: null, evidence: [], note: `no ${topic} state (key node) of this division` };
  const evidence = [stateEvidence(state, field)];
  const stateYear = Number(state.computedAt.slice(0, 4));
  if (stateYear !== year) return { indicator, value: null, evidence, note: `the newest ${state.topic} state was computed in ${stateYear}, not in ${year}` };
  const value = read(state.data);
  if (value === undefined) return { indicator, value: null, evidence, note: `the ${state.topic} state has no usable ${field}` };
  return { indicator, value: round2(value), evidence, note: null };
}

function share(indicator: AssessmentIndicator, origin: string, rule: string, counted: number, matching: number, sample: string[] | undefined): Partial6 {
  const evidence: AssessmentEvidence[] = [{ kind: 'catalog', origin, rule, counted, matching, ...(sample ? { sample } : {}) }];
  if (counted === 0) return { indicator, value: null, evidence, note: 'no entries to count' };
  return { indicator, value: round2((100 * matching) / counted), evidence, note: null };
}

export interface DivisionInputs {
  division: Division;
  year: number;
  catalog: CatalogFigures | undefined;
  quality: HeldState | undefined;
  access: HeldState | undefined;
  samples?: { incomplete: string[]; notOpened: string[] };
}

/**
 * One division's scorecard (docs/assessment.md, "Indicators"). Each indicator is 0..100, higher
 * better, or null without evidence. The total weighs every indicator by its share of the weights'
 * sum; one without evidence counts 0, so a division gains nothing by publishing no figure.
 */
export function scorecardOf(inputs: DivisionInputs, weights: AssessmentWeights): DivisionScorecard {
  const { division, year, catalog, quality, access, samples } = inputs;
  const origin = division.code;
  const parts: Partial6[] = [
    share('catalogCompleteness', origin, CATALOG_RULES.completeness, catalog?.data ?? 0, catalog?.complete ?? 0, samples?.incomplete),
    fromState('quality', 'quality', quality, year, 'score', (d) => {
      const score = numberAt(d, ['score']);
      return isPercent(score) ? score : undefined;
    }),
    fromState('timeliness', 'quality', quality, year, 'dimensions.timeliness', (d) => {
      const t = numberAt(d, ['dimensions', 'timeliness']);
      return isPercent(t) ? t : undefined;
    }),
    fromState('sharingResponse', 'access', access, year, 'decisions.answered, decisions.overdue', (d) => {
      const answered = numberAt(d, ['decisions', 'answered']);
      const overdue = numberAt(d, ['decisions', 'overdue']);
      // Answered out of everything that was due: the answered ones and those past their deadline unanswered.
      if (!isCount(answered) || !isCount(overdue) || answered + overdue === 0) return undefined;
      return (100 * answered) / (answered + overdue);
    }),
    share('openness', origin, CATALOG_RULES.openness, catalog?.openable ?? 0, catalog?.opened ?? 0, samples?.notOpened),
    fromState('securityEvents', 'access', access, year, 'securityEvents', (d) => {
      const events = numberAt(d, ['securityEvents']);
      return isCount(events) ? Math.max(0, 100 - POINTS_PER_SECURITY_EVENT * events) : undefined;
    }),
  ];
  const sum = ASSESSMENT_INDICATORS.reduce((s, i) => s + weights[i], 0);
  const indicators: IndicatorScore[] = parts.map((p) => ({ ...p, weight: weights[p.indicator] }));
  const evidenced = indicators.filter((i) => i.value !== null).length;
  const total = evidenced === 0 || sum <= 0 ? null : round2(indicators.reduce((t, i) => t + (i.value ?? 0) * (i.weight / sum), 0));
  return { division: origin, name: division.name, level: division.level, total, evidenced, indicators };
}
