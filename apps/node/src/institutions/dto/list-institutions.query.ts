import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { IsDivisionCodeField } from '../../common/id-fields';
import { PageQuery } from '../../common/page.query';

export class ListInstitutionsQuery extends PageQuery {
  @ApiPropertyOptional({ enum: ['local', 'subtree'], default: 'subtree' })
  @IsOptional()
  @IsIn(['local', 'subtree'])
  scope: 'local' | 'subtree' = 'subtree';

  @IsDivisionCodeField({ optional: true, description: 'only institutions registered at this node code' })
  origin?: string;
}
