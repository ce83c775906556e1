import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Length } from 'class-validator';
import { ENTRY_TYPES, EntryType } from '@tdx/contracts';
import { PageQuery } from '../common/page.query';

export class OpenCatalogQuery extends PageQuery {
  @ApiPropertyOptional({ description: 'words in the name, summary or code' })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  q?: string;

  @ApiPropertyOptional({ enum: ENTRY_TYPES })
  @IsOptional()
  @IsIn(ENTRY_TYPES)
  type?: EntryType;
}
