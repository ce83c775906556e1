import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, ValidateNested } from 'class-validator';
import { CreateEntryDto } from './create-entry.dto';
import { EachObject } from '../../common/validation';

export const BULK_LIMIT = 1000;

export class BulkCreateEntriesDto {
  @ApiProperty({ type: [CreateEntryDto], maxItems: BULK_LIMIT })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(BULK_LIMIT)
  @EachObject()
  @ValidateNested({ each: true })
  @Type(() => CreateEntryDto)
  entries!: CreateEntryDto[];
}
