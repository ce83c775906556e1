import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsOptional, IsString, Length, Matches } from 'class-validator';
import { ENTRY_STATUSES, ENTRY_TYPES, EntryStatus, EntryType, Grade, GRADES, OPEN_TYPES, OpenType, SHARE_TYPES, ShareType } from '@tdx/contracts';
import { PageQuery } from '../../common/page.query';
import { IsDivisionCodeField, IsUuidField } from '../../common/id-fields';

/**
 * A province-wide search: the HTTP query, and the body of a 'catalog.search' message another node
 * sends (checked the same way, as hostile input).
 */
export class SearchQuery extends PageQuery {
  @ApiPropertyOptional({ description: 'words, each found anywhere (Chinese by substring) in the name, summary, code or data item names; ASCII case ignored' })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  q?: string;

  @ApiPropertyOptional({ enum: ENTRY_TYPES })
  @IsOptional()
  @IsIn(ENTRY_TYPES)
  type?: EntryType;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(1, 100)
  category?: string;

  @ApiPropertyOptional({ enum: GRADES })
  @IsOptional()
  @IsIn(GRADES)
  grade?: Grade;

  @ApiPropertyOptional({ enum: SHARE_TYPES })
  @IsOptional()
  @IsIn(SHARE_TYPES)
  shareType?: ShareType;

  @ApiPropertyOptional({ enum: OPEN_TYPES })
  @IsOptional()
  @IsIn(OPEN_TYPES)
  openType?: OpenType;

  @IsUuidField({ optional: true, description: 'the provider institution' })
  providerId?: string;

  @IsDivisionCodeField({ optional: true, description: 'the division whose node registered the entry' })
  origin?: string;

  @ApiPropertyOptional({ enum: ENTRY_STATUSES, default: 'active' })
  @IsOptional()
  @IsIn(ENTRY_STATUSES)
  status?: EntryStatus;

  @ApiPropertyOptional({ type: Boolean, description: 'only entries the public may see (open unconditionally or on application, never L4)' })
  @IsOptional()
  // From a query string 'true'/'false'; from a message body a boolean. Anything else stays as it came and fails IsBoolean.
  @Transform(({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean()
  openToPublic?: boolean;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page' })
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{1,40}$/, { message: 'cursor is not one this API returned' })
  declare cursor?: string;
}
