import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, Matches } from 'class-validator';
import { PageQuery } from '../../common/page.query';

export class ListInstitutionsQuery extends PageQuery {
  @ApiPropertyOptional({ enum: ['local', 'subtree'], default: 'subtree' })
  @IsOptional()
  @IsIn(['local', 'subtree'])
  scope: 'local' | 'subtree' = 'subtree';

  @ApiPropertyOptional({ description: 'only institutions registered at this node code' })
  @IsOptional()
  @Matches(/^\d{6}$/, { message: 'origin must be a six-digit division code' })
  origin?: string;
}
