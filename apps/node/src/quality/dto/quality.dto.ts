import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsArray, IsIn, IsObject, IsOptional } from 'class-validator';
import type { QualityRule, QualityRuleSet } from '@tdx/contracts';
import { IsDivisionCodeField } from '../../common/id-fields';
import { PageQuery } from '../../common/page.query';

export const QUALITY_SCOPES = ['entry', 'institution', 'node'] as const;

export class ListQualityQuery extends PageQuery {
  @IsDivisionCodeField({ optional: true, description: 'a division code: states of nodes inside its jurisdiction (this node and its subtree by default)' })
  within?: string;

  @ApiPropertyOptional({ enum: QUALITY_SCOPES, description: 'only the states of entries, institutions or nodes' })
  @IsOptional()
  @IsIn(QUALITY_SCOPES)
  scope?: (typeof QUALITY_SCOPES)[number];
}

/**
 * A rule set offered by an operator. Its two fields are checked here for their kind only; their
 * content is checked as a whole by qualityRuleSetProblems, whose answers name the rule at fault.
 */
export class QualityRuleSetDto implements QualityRuleSet {
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'integer' },
    description: 'conformance, completeness, validity, uniqueness, timeliness: 0..100 each',
  })
  @IsObject()
  dimensionWeights!: QualityRuleSet['dimensionWeights'];

  @ApiProperty({
    type: 'array',
    items: { type: 'object' },
    description: 'the rules (docs/quality.md): id, dimension, check, appliesTo, weight, description {zh, en}',
  })
  @IsArray()
  rules!: QualityRule[];
}
