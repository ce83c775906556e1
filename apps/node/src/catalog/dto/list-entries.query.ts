import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Length, Matches } from 'class-validator';
import { ENTRY_TYPES, EntryType } from '@tdx/contracts';
import { PageQuery } from '../../common/page.query';

export class ListEntriesQuery extends PageQuery {
  @ApiPropertyOptional({ enum: ['local', 'subtree'], default: 'subtree', description: 'local: registered here; subtree: with replicas from below' })
  @IsOptional()
  @IsIn(['local', 'subtree'])
  scope: 'local' | 'subtree' = 'subtree';

  @ApiPropertyOptional()
  @IsOptional()
  @Matches(/^\d{6}$/, { message: 'origin must be a six-digit division code' })
  origin?: string;

  @ApiPropertyOptional({ description: 'words in the name, summary or code' })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  q?: string;

  @ApiPropertyOptional({ enum: ENTRY_TYPES })
  @IsOptional()
  @IsIn(ENTRY_TYPES)
  type?: EntryType;

  @ApiPropertyOptional({ enum: ['active', 'retired', 'all'], default: 'active' })
  @IsOptional()
  @IsIn(['active', 'retired', 'all'])
  status: 'active' | 'retired' | 'all' = 'active';

}
