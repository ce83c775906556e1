import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, Matches } from 'class-validator';
import { ENTRY_TYPES, EntryType } from '@tdx/contracts';
import { EntryFieldsDto } from './entry-fields';

export const RESOURCE_CODE = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$/;

export class CreateEntryDto extends EntryFieldsDto {
  @ApiProperty({ enum: ENTRY_TYPES })
  @IsIn(ENTRY_TYPES)
  type!: EntryType;

  @ApiPropertyOptional({ description: 'resource code, unique at this node; generated when absent', example: '330106-D-000001' })
  @IsOptional()
  @Matches(RESOURCE_CODE, { message: 'code must be 1-64 letters, digits, dots, slashes, underscores or hyphens' })
  code?: string;
}
