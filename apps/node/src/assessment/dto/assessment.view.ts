import { ApiProperty, type ApiPropertyOptions } from '@nestjs/swagger';
import {
  ASSESSMENT_INDICATORS,
  type AssessmentEvidence,
  type AssessmentIndicator,
  type AssessmentScorecardView,
  type AssessmentWeights,
  type AssessmentWeightSetView,
  type DivisionScorecard,
  type IndicatorScore,
} from '@tdx/contracts';
import { DIVISION_LEVELS } from '@tdx/divisions';
import { View } from '../../common/api-docs';

class WeightsViewDto implements AssessmentWeights {
  @View.number()
  catalogCompleteness!: number;

  @View.number()
  quality!: number;

  @View.number()
  timeliness!: number;

  @View.number()
  sharingResponse!: number;

  @View.number()
  openness!: number;

  @View.number()
  securityEvents!: number;
}

export class WeightSetViewDto implements AssessmentWeightSetView {
  @View.int({ description: '0: the built-in equal weights' })
  version!: number;

  @View.of(WeightsViewDto)
  weights!: AssessmentWeights;

  @View.textOrNull()
  setBy!: string | null;

  @View.timeOrNull()
  setAt!: string | null;
}

class IndicatorScoreViewDto implements IndicatorScore {
  @View.oneOf(ASSESSMENT_INDICATORS)
  indicator!: AssessmentIndicator;

  @View.numberOrNull({ description: '0..100, higher is better; null: no evidence' })
  value!: number | null;

  @View.number()
  weight!: number;

  // A supervision state (kind state: origin, topic, key, version, computedAt, field) or catalog entries counted (kind catalog).
  @ApiProperty({ type: 'array', items: { type: 'object', additionalProperties: true } } as ApiPropertyOptions)
  evidence!: AssessmentEvidence[];

  @View.textOrNull()
  note!: string | null;
}

export class DivisionScorecardViewDto implements DivisionScorecard {
  @View.text()
  division!: string;

  @View.text()
  name!: string;

  @View.oneOf(DIVISION_LEVELS)
  level!: DivisionScorecard['level'];

  @View.numberOrNull()
  total!: number | null;

  @View.int()
  evidenced!: number;

  @View.of([IndicatorScoreViewDto])
  indicators!: IndicatorScore[];
}

export class ScorecardViewDto implements AssessmentScorecardView {
  @View.int()
  year!: number;

  @View.text()
  within!: string;

  @View.time()
  computedAt!: string;

  @View.of(WeightSetViewDto)
  weights!: AssessmentWeightSetView;

  @View.of([DivisionScorecardViewDto])
  divisions!: DivisionScorecard[];
}
