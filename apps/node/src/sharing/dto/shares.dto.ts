import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsInt, IsObject, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { SHARE_ITEMS_MAX, SHARE_QUERY_LIMIT_MAX, SHARE_REGIONS_MAX, SHARE_SIDES, SHARE_STATES, SHARE_TEXT, SHARE_TEXT_MAX, timestamp } from '@tdx/contracts';
import type { ShareFilters, ShareSide, ShareState } from '@tdx/contracts';
import { IsDivisionCodeField, IsUuidField } from '../../common/id-fields';
import { PAGE_LIMITS, PageLimit } from '../../common/paging';
import { PageQuery } from '../../common/page.query';
import { Satisfies } from '../../common/validation';

export class CreateShareDto {
  @IsUuidField({ description: 'a data entry registered anywhere in the province' })
  entryId!: string;

  @ApiProperty({ type: [String], description: "data items of the entry (never an L4 entry's sensitive items)", example: ['uscc', 'company'] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(SHARE_ITEMS_MAX)
  @IsString({ each: true })
  @MaxLength(100, { each: true })
  items!: string[];

  @ApiProperty({ type: [String], description: 'division codes whose rows are served (a city covers its counties)', example: ['330212'] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(SHARE_REGIONS_MAX)
  @IsString({ each: true })
  @MaxLength(6, { each: true })
  regions!: string[];

  @ApiProperty({ example: 'checking licences of enterprises registered in the district', maxLength: SHARE_TEXT_MAX })
  @Satisfies(SHARE_TEXT)
  purpose!: string;

  @ApiProperty({ example: '2027-06-30T16:00:00Z', description: 'when the grant ends (ISO 8601, UTC)' })
  @Satisfies(timestamp)
  expiresAt!: string;

  @IsUuidField({ optional: true, description: "the requesting institution; by default the requester's own (an operator may omit it)" })
  institutionId?: string;
}

export class ApproveShareDto {
  @ApiProperty({ description: 'why the request is granted; shown at both ends', maxLength: SHARE_TEXT_MAX })
  @Satisfies(SHARE_TEXT)
  reason!: string;

  @ApiPropertyOptional({ description: 'an earlier expiry than asked (ISO 8601, UTC)' })
  @IsOptional()
  @Satisfies(timestamp)
  expiresAt?: string;
}

export class ShareReasonDto {
  @ApiProperty({ description: 'why; shown at both ends', maxLength: SHARE_TEXT_MAX })
  @Satisfies(SHARE_TEXT)
  reason!: string;
}

export class ListSharesQuery extends PageQuery {
  @ApiPropertyOptional({
    enum: ['incoming', 'outgoing'],
    description: 'incoming: requests for entries of this node (provider); outgoing: requests made here (consumer)',
  })
  @IsOptional()
  @IsIn(['incoming', 'outgoing'])
  direction?: 'incoming' | 'outgoing';

  @ApiPropertyOptional({ enum: SHARE_STATES })
  @IsOptional()
  @IsIn(SHARE_STATES)
  state?: ShareState;

  @ApiPropertyOptional({ description: 'only requests still undecided after their deadline' })
  @IsOptional()
  @IsIn(['true', 'false'])
  overdue?: 'true' | 'false';
}

export function sideOf(direction: 'incoming' | 'outgoing' | undefined): ShareSide | undefined {
  return direction === undefined ? undefined : direction === 'incoming' ? SHARE_SIDES[1] : SHARE_SIDES[0];
}

export class QueryShareDto {
  @ApiProperty({ type: [String], description: 'data items to return: within the grant' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(SHARE_ITEMS_MAX)
  @IsString({ each: true })
  @MaxLength(100, { each: true })
  fields!: string[];

  @ApiPropertyOptional({ type: [String], description: "division codes within the grant's regions; all of them when absent" })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(SHARE_REGIONS_MAX)
  @IsString({ each: true })
  @MaxLength(6, { each: true })
  regions?: string[];

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: 'equality filters: item name → value (non-sensitive items among the fields)',
  })
  @IsOptional()
  @IsObject()
  filters?: ShareFilters;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page' })
  @IsOptional()
  @IsString()
  @MaxLength(400)
  cursor?: string;

  @ApiPropertyOptional({ type: 'integer', default: 100, minimum: 1, maximum: SHARE_QUERY_LIMIT_MAX })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(SHARE_QUERY_LIMIT_MAX)
  limit: number = 100;
}

/** The rows a delivery brought, at the consumer. */
export class ListDeliveredRowsQuery {
  @IsDivisionCodeField({ optional: true, description: "a division code: rows inside its jurisdiction (within the grant's regions)" })
  region?: string;

  @PageLimit(PAGE_LIMITS.returnedRows)
  limit: number = PAGE_LIMITS.returnedRows.default;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page' })
  @IsOptional()
  @IsString()
  cursor?: string;
}

export class ListDeliveriesQuery {
  @PageLimit(PAGE_LIMITS.list)
  limit: number = PAGE_LIMITS.list.default;
}
