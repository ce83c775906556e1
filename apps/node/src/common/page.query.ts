import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString } from 'class-validator';
import { PAGE_LIMITS, PageLimit } from './paging';

/** Keyset paging shared by the list endpoints: `limit` (PAGE_LIMITS.list) and an opaque `cursor`. */
export class PageQuery {
  @PageLimit(PAGE_LIMITS.list)
  limit: number = PAGE_LIMITS.list.default;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page' })
  @IsOptional()
  @IsString()
  cursor?: string;
}
