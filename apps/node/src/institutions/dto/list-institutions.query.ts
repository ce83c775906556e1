import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';

export class ListInstitutionsQuery {
  @ApiPropertyOptional({ enum: ['local', 'subtree'], default: 'subtree' })
  @IsOptional()
  @IsIn(['local', 'subtree'])
  scope: 'local' | 'subtree' = 'subtree';

  @ApiPropertyOptional({ description: 'only institutions registered at this node code' })
  @IsOptional()
  @Matches(/^\d{6}$/, { message: 'origin must be a six-digit division code' })
  origin?: string;

  @ApiPropertyOptional({ default: 50, minimum: 1, maximum: 500 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit = 50;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  cursor?: string;
}
