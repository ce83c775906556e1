import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Matches } from 'class-validator';
import { RETURN_NOTE, RETURN_SCOPES, RETURN_STATES, RETURN_TEXT, RETURN_TEXT_MAX, ReturnScope, ReturnState } from '@tdx/contracts';
import { IsDivisionCodeField, IsUuidField } from '../../common/id-fields';
import { PageQuery } from '../../common/page.query';
import { PAGE_LIMITS, PageLimit } from '../../common/paging';
import { Satisfies } from '../../common/validation';

export class CreateReturnRequestDto {
  @IsUuidField({ description: 'a data entry registered at the holder' })
  entryId!: string;

  @IsDivisionCodeField({ example: '330000', description: 'the ancestor holding the entry' })
  holder!: string;

  @ApiPropertyOptional({ enum: RETURN_SCOPES, default: 'self', description: 'subtree: a city asking for all its counties too' })
  @IsOptional()
  @IsIn(RETURN_SCOPES)
  scope: ReturnScope = 'self';

  @ApiProperty({ example: 'market supervision of the district', maxLength: RETURN_TEXT_MAX })
  @Satisfies(RETURN_TEXT)
  purpose!: string;
}

export class ApproveDto {
  @ApiPropertyOptional({ maxLength: RETURN_TEXT_MAX })
  @IsOptional()
  @Satisfies(RETURN_NOTE)
  note?: string;
}

export class RejectDto {
  @ApiProperty({ description: 'why the request is rejected; shown at both ends', maxLength: RETURN_TEXT_MAX })
  @Satisfies(RETURN_TEXT)
  reason!: string;
}

export class WithdrawDto {
  @ApiPropertyOptional({ description: 'why; kept in the history at both ends', maxLength: RETURN_TEXT_MAX })
  @IsOptional()
  @Satisfies(RETURN_TEXT)
  reason?: string;
}

export class RevokeDto {
  @ApiProperty({ description: 'why the grant ends; shown at both ends', maxLength: RETURN_TEXT_MAX })
  @Satisfies(RETURN_TEXT)
  reason!: string;
}

/** A city's view of its subtree's requests at the province: paged by the province's cursor. */
export class ListSubtreeQuery extends PageQuery {}

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
  @IsUuidField({ optional: true })
  requestId?: string;

  @PageLimit(PAGE_LIMITS.list)
  limit: number = PAGE_LIMITS.list.default;
}

/** The rows a return brought, at the receiver (not a dataset's own rows: ListDatasetRowsQuery). */
export class ListReturnedRowsQuery {
  @IsDivisionCodeField({ optional: true, description: 'a division code: rows inside its jurisdiction (330106: that county; 330100: all of Hangzhou)' })
  region?: string;

  @ApiPropertyOptional({ description: 'comma-separated data item names; all when absent' })
  @IsOptional()
  @Matches(/^[\p{L}_][\p{L}\p{N}_]*(,[\p{L}_][\p{L}\p{N}_]*)*$/u, { message: 'columns must be data item names separated by commas' })
  columns?: string;

  @PageLimit(PAGE_LIMITS.returnedRows)
  limit: number = PAGE_LIMITS.returnedRows.default;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  cursor?: string;
}
