import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { PAGE_LIMITS, PageLimit } from '../../common/paging';

/** The rows of one dataset at its origin (not the rows a return brought: ListReturnedRowsQuery). */
export class ListDatasetRowsQuery {
  @ApiPropertyOptional({ description: 'a division code or its prefix of 2 or 4 digits (33, 3301, 330106)', example: '3301' })
  @IsOptional()
  @Matches(/^\d{2}(\d{2}(\d{2})?)?$/, { message: 'region must be 2, 4 or 6 digits (a division code or its province/city prefix)' })
  region?: string;

  @PageLimit(PAGE_LIMITS.datasetRows)
  limit?: number;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page' })
  @IsOptional()
  @IsString()
  @MaxLength(400)
  cursor?: string;
}
