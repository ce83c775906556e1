import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, Max, Min } from 'class-validator';
import { HISTORY_MAX_HOURS, HISTORY_SERIES, type HistorySeries } from '@tdx/contracts';

export class HistoryQuery {
  @ApiProperty({ enum: [...HISTORY_SERIES] })
  @IsIn([...HISTORY_SERIES], { message: `series must be one of ${HISTORY_SERIES.join(', ')}` })
  series!: HistorySeries;

  @ApiProperty({ type: 'integer', minimum: 1, maximum: HISTORY_MAX_HOURS, description: 'how many hours back from now' })
  @Type(() => Number)
  @IsInt({ message: `hours must be a whole number from 1 to ${HISTORY_MAX_HOURS}` })
  @Min(1, { message: `hours must be a whole number from 1 to ${HISTORY_MAX_HOURS}` })
  @Max(HISTORY_MAX_HOURS, { message: `hours must be a whole number from 1 to ${HISTORY_MAX_HOURS}` })
  hours!: number;
}
