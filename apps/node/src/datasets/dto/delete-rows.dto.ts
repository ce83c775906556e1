import { ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsArray, IsString, Length } from 'class-validator';
import { MAX_ROW_KEY } from '../upload-reader';

export const MAX_DELETE_KEYS = 10_000;

export class DeleteRowsDto {
  @ApiProperty({ type: [String], maxItems: MAX_DELETE_KEYS, example: ['91330106MA2AXXXX1X'] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_DELETE_KEYS)
  @ArrayUnique()
  @IsString({ each: true })
  @Length(1, MAX_ROW_KEY, { each: true })
  rowKeys!: string[];
}
