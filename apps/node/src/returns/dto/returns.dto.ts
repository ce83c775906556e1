import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Length, Matches, Max, Min } from 'class-validator';
import { RETURN_SCOPES, RETURN_STATES, ReturnScope, ReturnState } from '@tdx/contracts';
import { PageQuery } from '../../common/page.query';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class CreateReturnRequestDto {
  @ApiProperty({ format: 'uuid', description: 'a data entry registered at the holder' })
  @Matches(UUID, { message: 'entryId must be a UUID' })
  entryId!: string;

  @ApiProperty({ example: '330000', description: 'the ancestor holding the entry' })
  @Matches(/^\d{6}$/, { message: 'holder must be a six-digit division code' })
  holder!: string;

  @ApiPropertyOptional({ enum: RETURN_SCOPES, default: 'self', description: 'subtree: a city asking for all its counties too' })
  @IsOptional()
  @IsIn(RETURN_SCOPES)
  scope: ReturnScope = 'self';

  @ApiProperty({ example: 'market supervision of the district' })
  @IsString()
  @Length(1, 2000)
  @Matches(/\S/, { message: 'purpose must not be blank' })
  purpose!: string;
}

export class ApproveDto {
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(1, 2000)
  note?: string;
}

export class RejectDto {
  @ApiProperty({ description: 'why the request is rejected; shown at both ends' })
  @IsString()
  @Length(1, 2000)
  @Matches(/\S/, { message: 'reason must not be blank' })
  reason!: string;
}

export class ListRequestsQuery extends PageQuery {
  @ApiPropertyOptional({ enum: ['outgoing', 'incoming'] })
  @IsOptional()
  @IsIn(['outgoing', 'incoming'])
  direction?: 'outgoing' | 'incoming';

  @ApiPropertyOptional({ enum: RETURN_STATES })
  @IsOptional()
  @IsIn(RETURN_STATES)
  state?: ReturnState;

}

export class ListJobsQuery {
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @Matches(UUID, { message: 'requestId must be a UUID' })
  requestId?: string;

  @ApiPropertyOptional({ default: 50, minimum: 1, maximum: 500 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit = 50;
}

export class ListRowsQuery {
  @ApiPropertyOptional({ description: 'a division code: rows inside its jurisdiction (330106: that county; 330100: all of Hangzhou)' })
  @IsOptional()
  @Matches(/^\d{6}$/, { message: 'region must be a six-digit division code' })
  region?: string;

  @ApiPropertyOptional({ description: 'comma-separated data item names; all when absent' })
  @IsOptional()
  @Matches(/^[\p{L}_][\p{L}\p{N}_]*(,[\p{L}_][\p{L}\p{N}_]*)*$/u, { message: 'columns must be data item names separated by commas' })
  columns?: string;

  @ApiPropertyOptional({ default: 100, minimum: 1, maximum: 5000 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(5000)
  limit = 100;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  cursor?: string;
}
