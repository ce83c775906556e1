import { ApiProperty, ApiPropertyOptional, IntersectionType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsISO8601, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { PageQuery } from '../../common/page.query';

const ISO = { strict: true, strictSeparator: true } as const;

/** A time range, `from` inclusive, `to` exclusive (ISO 8601 with a time zone). */
export class AuditRangeQuery {
  @ApiPropertyOptional({ example: '2026-11-27T00:00:00Z' })
  @IsOptional()
  @IsISO8601(ISO)
  @Matches(/(Z|[+-]\d{2}:?\d{2})$/, { message: 'from must carry a time zone (Z or ±hh:mm)' })
  from?: string;

  @ApiPropertyOptional({ example: '2026-11-28T00:00:00Z' })
  @IsOptional()
  @IsISO8601(ISO)
  @Matches(/(Z|[+-]\d{2}:?\d{2})$/, { message: 'to must carry a time zone (Z or ±hh:mm)' })
  to?: string;
}

/** Filters of the list, with keyset paging. */
export class ListAuditQuery extends IntersectionType(PageQuery, AuditRangeQuery) {
  @ApiPropertyOptional({ description: '`user:<name>`, `anonymous` or `node:<code>`' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  actor?: string;

  @ApiPropertyOptional({ description: 'exact, or a prefix ending in `*` (`replication.*`, `POST /api/v1/catalog*`)' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  action?: string;

  @ApiPropertyOptional({ description: 'the id or code acted on' })
  @IsOptional()
  @IsString()
  @MaxLength(300)
  target?: string;

  @ApiPropertyOptional({ description: 'an HTTP status (`403`) or an exchange outcome (`rejected`)' })
  @IsOptional()
  @IsString()
  @MaxLength(50)
  outcome?: string;

  @ApiPropertyOptional({ enum: ['asc', 'desc'], default: 'asc' })
  @IsOptional()
  @IsIn(['asc', 'desc'])
  order: 'asc' | 'desc' = 'asc';
}

export class ExportAuditQuery extends AuditRangeQuery {}

export class VerifyAuditQuery {
  @ApiPropertyOptional({ description: '`SEQ:HASH`, a head kept outside the node earlier; the chain must still hold that record' })
  @IsOptional()
  @IsString()
  @Matches(/^\d{1,15}:[0-9a-f]{64}$/, { message: 'anchor must be SEQ:HASH (a record number and its 64 hex digit hash)' })
  anchor?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 10000, description: 'records read per batch (memory bound)', default: 1000 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(10000)
  batch: number = 1000;
}

/** What `tdx audit prune` sends: the span of a verified export, whose last record is pruned through. */
export class PruneAuditDto {
  @ApiProperty({ type: 'integer', minimum: 1, description: 'the first record of the export', example: 1 })
  @IsInt()
  @Min(1)
  from!: number;

  @ApiProperty({ type: 'integer', minimum: 1, description: 'the last record of the export: it and every record before it are pruned', example: 120000 })
  @IsInt()
  @Min(1)
  through!: number;

  @ApiProperty({ description: 'the hash of record `through` as the export holds it (64 hex digits)' })
  @IsString()
  @Matches(/^[0-9a-f]{64}$/, { message: 'hash must be 64 lower-case hex digits' })
  hash!: string;
}
