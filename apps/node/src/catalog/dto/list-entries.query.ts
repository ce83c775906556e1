import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { IsDivisionCodeField } from '../../common/id-fields';
import { CatalogSearchQuery } from './catalog-search.query';

export class ListEntriesQuery extends CatalogSearchQuery {
  @ApiPropertyOptional({ enum: ['local', 'subtree'], default: 'subtree', description: 'local: registered here; subtree: with replicas from below' })
  @IsOptional()
  @IsIn(['local', 'subtree'])
  scope: 'local' | 'subtree' = 'subtree';

  @IsDivisionCodeField({ optional: true })
  origin?: string;

  @ApiPropertyOptional({ enum: ['active', 'retired', 'all'], default: 'active' })
  @IsOptional()
  @IsIn(['active', 'retired', 'all'])
  status: 'active' | 'retired' | 'all' = 'active';
}
