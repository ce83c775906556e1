import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';

export class ListRowsQuery {
  @ApiPropertyOptional({ description: 'a division code or its prefix of 2 or 4 digits (33, 3301, 330106)', example: '3301' })
  @IsOptional()
  @Matches(/^\d{2}(\d{2}(\d{2})?)?$/, { message: 'region must be 2, 4 or 6 digits (a division code or its province/city prefix)' })
  region?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 1000, default: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page' })
  @IsOptional()
  @IsString()
  @MaxLength(400)
  cursor?: string;
}
