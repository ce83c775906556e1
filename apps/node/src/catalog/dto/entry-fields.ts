import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsBoolean, IsIn, IsISO8601, IsOptional, IsString, Length, Matches, ValidateNested } from 'class-validator';
import {
  DATA_ITEM_TYPES,
  DataItemType,
  EntryType,
  GRADES,
  Grade,
  OPEN_TYPES,
  OpenType,
  SHARE_TYPES,
  ShareType,
  UPDATE_CYCLES,
  UpdateCycle,
} from '@tdx/contracts';
import { IsDivisionCodeField, IsUuidField } from '../../common/id-fields';
import { EachObject } from '../../common/validation';

export class DataItemDto {
  @ApiProperty({ example: 'legal_person_id_number' })
  @IsString()
  @Length(1, 100)
  @Matches(/^[\p{L}_][\p{L}\p{N}_]*$/u, { message: 'name must be a letter or underscore followed by letters, digits or underscores' })
  name!: string;

  @ApiProperty({ enum: DATA_ITEM_TYPES })
  @IsIn(DATA_ITEM_TYPES)
  type!: DataItemType;

  @ApiProperty()
  @IsBoolean()
  sensitive!: boolean;
}

/** The fields an entry's origin may change; shared by create and update. */
export class EntryFieldsDto {
  @ApiProperty({ example: '企业登记信息' })
  @IsString()
  @Length(1, 200)
  @Matches(/\S/, { message: 'name must not be blank' })
  name!: string;

  @ApiProperty()
  @IsString()
  @Length(1, 4000)
  summary!: string;

  @IsUuidField({ description: 'an active institution registered at this node' })
  providerId!: string;

  @ApiProperty({ example: 'market-regulation' })
  @IsString()
  @Length(1, 100)
  category!: string;

  @ApiProperty({ enum: GRADES, description: 'DB33/T 2351 sensitivity grade' })
  @IsIn(GRADES)
  grade!: Grade;

  @ApiProperty({ enum: SHARE_TYPES })
  @IsIn(SHARE_TYPES)
  shareType!: ShareType;

  @ApiPropertyOptional({ description: 'required when shareType is conditional' })
  @IsOptional()
  @IsString()
  @Length(1, 2000)
  shareCondition?: string;

  @ApiPropertyOptional({ description: 'required when shareType is none' })
  @IsOptional()
  @IsString()
  @Length(1, 2000)
  legalBasis?: string;

  @ApiProperty({ enum: OPEN_TYPES })
  @IsIn(OPEN_TYPES)
  openType!: OpenType;

  @ApiProperty({ enum: UPDATE_CYCLES })
  @IsIn(UPDATE_CYCLES)
  updateCycle!: UpdateCycle;

  @ApiPropertyOptional({ example: 'csv' })
  @IsOptional()
  @IsString()
  @Length(1, 50)
  format?: string;

  @IsDivisionCodeField({ optional: true, description: "a division code inside this node's jurisdiction; defaults to the node's own" })
  regionScope?: string;

  @ApiPropertyOptional({ type: [DataItemDto], description: 'required (at least one) for data resources' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(500)
  @EachObject()
  @ValidateNested({ each: true })
  @Type(() => DataItemDto)
  dataItems?: DataItemDto[];

  @ApiPropertyOptional({ type: [String], description: 'resource codes of related resources' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @IsString({ each: true })
  @Length(1, 64, { each: true })
  relatedResources?: string[];

  @ApiPropertyOptional({ example: '2026-01-01' })
  @IsOptional()
  @IsISO8601({ strict: true })
  @Matches(/^\d{4}-\d{2}-\d{2}$/, { message: 'releaseDate must be a date (YYYY-MM-DD)' })
  releaseDate?: string;

  @ApiPropertyOptional({ description: 'declares state-secret content; such a registration is refused (Article 2)' })
  @IsOptional()
  @IsBoolean()
  stateSecret?: boolean;
}

export type FieldProblem = { field: string; messages: string[] };

/** Checks across fields that a decorator on one field cannot make (400); a received replica must pass them too. */
export function fieldProblems(type: EntryType, fields: Partial<Pick<EntryFieldsDto, 'dataItems'>>): FieldProblem[] {
  const items = fields.dataItems ?? [];
  if (type === 'data' && items.length === 0) {
    return [{ field: 'dataItems', messages: ['dataItems must list at least one data item for a data resource'] }];
  }
  const seen = new Set<string>();
  const duplicates = items.filter((item) => (seen.has(item.name) ? true : (seen.add(item.name), false)));
  return duplicates.length ? [{ field: 'dataItems', messages: [`data item names must be unique: ${duplicates.map((d) => d.name).join(', ')}`] }] : [];
}
