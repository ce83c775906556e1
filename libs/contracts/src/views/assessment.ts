/** The indicators of the annual assessment (Article 5), in the order a scorecard shows them. */
export const ASSESSMENT_INDICATORS = ['catalogCompleteness', 'quality', 'timeliness', 'sharingResponse', 'openness', 'securityEvents'] as const;
export type AssessmentIndicator = (typeof ASSESSMENT_INDICATORS)[number];

export type AssessmentWeights = Record<AssessmentIndicator, number>;

/** A weight set as stored: `version` 0 is the built-in equal weights, used until an operator sets one. */
export interface AssessmentWeightSetView {
  version: number;
  /** The weights as given (summing to 1 or to 100). */
  weights: AssessmentWeights;
  setBy: string | null;
  setAt: string | null;
}

/** Where a figure came from: a supervision state held here (signed by its origin), or catalog entries counted here. */
export type AssessmentEvidence =
  | { kind: 'state'; origin: string; topic: 'quality' | 'access'; key: string; version: number; computedAt: string; field: string }
  | {
      kind: 'catalog';
      origin: string;
      /** What was counted (docs/assessment.md names each rule). */
      rule: string;
      counted: number;
      matching: number;
      /** In a division's detail: up to 20 ids of counted entries that do not match (the ones that lower the figure). */
      sample?: string[];
    };

/** One indicator's value (0..100, higher is better; null: no evidence) with its evidence and why it is missing. */
export interface IndicatorScore {
  indicator: AssessmentIndicator;
  value: number | null;
  weight: number;
  evidence: AssessmentEvidence[];
  /** Why there is no value, or what was set aside (a state of another year). */
  note: string | null;
}

/** One division's scorecard for a year. */
export interface DivisionScorecard {
  division: string;
  name: string;
  level: 'province' | 'city' | 'county';
  /** The weighted total (0..100; an indicator without evidence counts 0); null when no indicator has evidence. */
  total: number | null;
  /** Indicators with evidence, of six. */
  evidenced: number;
  indicators: IndicatorScore[];
}

/** The scorecards of every division of a subtree for one year. */
export interface AssessmentScorecardView {
  year: number;
  within: string;
  computedAt: string;
  weights: AssessmentWeightSetView;
  divisions: DivisionScorecard[];
}
