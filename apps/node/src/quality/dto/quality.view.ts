import {
  QUALITY_DIMENSIONS,
  type QualityDimensions,
  type QualityEntryDetailView,
  type QualityRuleFindingView,
  type QualityRuleSetView,
  type QualityRunView,
  type QualityStateView,
  type QualityNodeState,
  type QualityStateData,
  type QualityRule,
} from '@tdx/contracts';
import { PageViewOf, View } from '../../common/api-docs';

class QualityDimensionsDto implements QualityDimensions {
  @View.numberOrNull()
  conformance!: number | null;

  @View.numberOrNull()
  completeness!: number | null;

  @View.numberOrNull()
  validity!: number | null;

  @View.numberOrNull()
  uniqueness!: number | null;

  @View.numberOrNull()
  timeliness!: number | null;
}

class QualityDefectDto {
  @View.text()
  rule!: string;

  @View.int()
  count!: number;
}

class QualityNodeStateDto implements QualityNodeState {
  @View.oneOf(['node'])
  scope!: 'node';

  @View.int()
  ruleSetVersion!: number;

  @View.numberOrNull({ description: '0..100, two decimals' })
  score!: number | null;

  @View.of(QualityDimensionsDto)
  dimensions!: QualityDimensions;

  @View.int()
  entries!: number;

  @View.int()
  rows!: number;

  @View.of([QualityDefectDto])
  defects!: QualityDefectDto[];
}

export class QualityRunViewDto implements QualityRunView {
  @View.time()
  startedAt!: string;

  @View.time()
  finishedAt!: string;

  @View.of(QualityNodeStateDto)
  node!: QualityNodeState;
}

export class QualityStateViewDto implements QualityStateView {
  @View.text({ description: 'the node (division code) that computed and signed it' })
  origin!: string;

  @View.text({ description: 'node, institution:<id> or entry:<id>' })
  key!: string;

  @View.int()
  version!: number;

  @View.time()
  computedAt!: string;

  @View.json({ description: 'scope, ruleSetVersion, score, dimensions, entries, rows, defects (and entryId, institutionId by scope)' })
  data!: QualityStateData;
}

export class QualityStatePageDto extends PageViewOf(QualityStateViewDto) {}

class QualityRuleFindingDto implements QualityRuleFindingView {
  @View.text()
  rule!: string;

  @View.oneOf(QUALITY_DIMENSIONS)
  dimension!: QualityRuleFindingView['dimension'];

  @View.int()
  weight!: number;

  @View.int()
  checked!: number;

  @View.number({ description: 'values that failed; for timeliness, the lateness from 0 to 1' })
  failed!: number;

  @View.int()
  defects!: number;

  @View.texts({ description: 'row keys of the first defects (never values)' })
  sampleRowKeys!: string[];
}

export class QualityEntryDetailViewDto implements QualityEntryDetailView {
  @View.uuid()
  entryId!: string;

  @View.uuid()
  institutionId!: string;

  @View.int()
  ruleSetVersion!: number;

  @View.time()
  checkedAt!: string;

  @View.int()
  rows!: number;

  @View.numberOrNull()
  score!: number | null;

  @View.of(QualityDimensionsDto)
  dimensions!: QualityDimensions;

  @View.of([QualityRuleFindingDto])
  rules!: QualityRuleFindingView[];
}

export class QualityRuleSetViewDto implements QualityRuleSetView {
  @View.int()
  version!: number;

  @View.time()
  setAt!: string;

  @View.text()
  setBy!: string;

  @View.json()
  dimensionWeights!: QualityRuleSetView['dimensionWeights'];

  @View.json({ description: 'the rules: id, dimension, check, appliesTo, weight, description {zh, en}' })
  rules!: QualityRule[];
}
