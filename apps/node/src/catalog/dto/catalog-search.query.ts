import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Length } from 'class-validator';
import { ENTRY_TYPES, EntryType } from '@tdx/contracts';
import { PageQuery } from '../../common/page.query';

/** Searching the catalog: a page, words, an entry type. Operators' listing and the public's open catalog both take it. */
export class CatalogSearchQuery extends PageQuery {
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
