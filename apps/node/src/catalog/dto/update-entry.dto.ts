import { ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { IsInt, IsOptional, Min } from 'class-validator';
import { EntryFieldsDto } from './entry-fields';

/** A new version: any subset of the entry's fields. Type and code never change. */
export class UpdateEntryDto extends PartialType(EntryFieldsDto) {
  @ApiPropertyOptional({ description: 'refuse with 409 unless the entry is still at this version (optimistic concurrency)' })
  @IsOptional()
  @IsInt()
  @Min(1)
  expectedVersion?: number;
}
