import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Matches } from 'class-validator';
import { SUPERVISION_KEY_PATTERN, SUPERVISION_TOPICS, type SupervisionTopic } from '@tdx/contracts';
import { PAGE_LIMITS, PageLimit } from '../../common/paging';

/** A division code of six digits; whether it is one of this node's jurisdiction is checked after (422). */
export const WITHIN_PATTERN = /^\d{6}$/;

/** `within`: this node's code (the default) or a division inside its jurisdiction. */
export class WithinQuery {
  @ApiPropertyOptional({ description: "a division code: this node's (the default) or one inside its jurisdiction", example: '330106' })
  @IsOptional()
  @Matches(WITHIN_PATTERN, { message: 'within must be a six-digit division code' })
  within?: string;
}

/** GET /api/v1/supervision/states: one topic's states, filtered, keyset-paged by (origin, key). */
export class SupervisionStatesQuery extends WithinQuery {
  @ApiPropertyOptional({ enum: [...SUPERVISION_TOPICS], description: 'the topic (required)' })
  @IsIn([...SUPERVISION_TOPICS], { message: `topic must be one of ${SUPERVISION_TOPICS.join(', ')}` })
  topic!: SupervisionTopic;

  @ApiPropertyOptional({ description: 'states whose key starts with this (`node`, `institution:`)' })
  @IsOptional()
  @IsString()
  @Matches(SUPERVISION_KEY_PATTERN, { message: 'key must be letters, digits and :._- (up to 200), starting with a letter or digit' })
  key?: string;

  @PageLimit(PAGE_LIMITS.list)
  limit: number = PAGE_LIMITS.list.default;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page: `<origin>:<key>` of its last state' })
  @IsOptional()
  @IsString()
  @Matches(/^\d{6}:[A-Za-z0-9][A-Za-z0-9:._-]{0,199}$/, { message: 'after must be <origin>:<key>, the nextCursor of the previous page' })
  after?: string;
}
