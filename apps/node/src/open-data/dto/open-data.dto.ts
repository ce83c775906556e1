import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Length, Matches, Max, Min } from 'class-validator';
import { OPEN_APPLICATION_STATES, type OpenApplicationState, RETURN_TEXT, RETURN_TEXT_MAX } from '@tdx/contracts';
import { IsUuidField } from '../../common/id-fields';
import { PageQuery } from '../../common/page.query';
import { PAGE_LIMITS, PageLimit } from '../../common/paging';
import { Satisfies } from '../../common/validation';

/** A page of an open entry's rows. */
export class OpenRowsQuery {
  @PageLimit(PAGE_LIMITS.datasetRows)
  limit: number = PAGE_LIMITS.datasetRows.default;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page' })
  @IsOptional()
  @IsString()
  @Length(1, 1024)
  cursor?: string;
}

export const DOWNLOAD_FORMATS = ['csv', 'json'] as const;
export type DownloadFormat = (typeof DOWNLOAD_FORMATS)[number];

/** A whole open entry's rows as one file, streamed. */
export class OpenDownloadQuery {
  @ApiPropertyOptional({ enum: DOWNLOAD_FORMATS, default: 'csv' })
  @IsOptional()
  @IsIn(DOWNLOAD_FORMATS)
  format: DownloadFormat = 'csv';
}

const NAME_MAX = 200;
/** Printable text with something in it: no control characters (a name is shown on one line). */
const ONE_LINE = /^[^\p{Cc}]*\S[^\p{Cc}]*$/u;

/** An anonymous application for restricted open data. */
export class CreateOpenApplicationDto {
  @IsUuidField({ description: 'a restricted open entry of the province' })
  entryId!: string;

  @ApiProperty({ maxLength: NAME_MAX, description: 'who applies' })
  @IsString()
  @Length(1, NAME_MAX)
  @Matches(ONE_LINE, { message: 'applicantName must be one line of text, not blank' })
  applicantName!: string;

  @ApiProperty({ maxLength: NAME_MAX, description: 'for which organisation' })
  @IsString()
  @Length(1, NAME_MAX)
  @Matches(ONE_LINE, { message: 'organisation must be one line of text, not blank' })
  organisation!: string;

  @ApiProperty({ maxLength: NAME_MAX, description: 'how the provider reaches the applicant (e-mail or telephone)' })
  @IsString()
  @Length(1, NAME_MAX)
  @Matches(ONE_LINE, { message: 'contact must be one line of text, not blank' })
  contact!: string;

  @ApiProperty({ maxLength: RETURN_TEXT_MAX, description: 'what the data will be used for' })
  @Satisfies(RETURN_TEXT)
  purpose!: string;
}

export class ApproveOpenApplicationDto {
  @ApiPropertyOptional({ maxLength: RETURN_TEXT_MAX })
  @IsOptional()
  @Satisfies(RETURN_TEXT)
  reason?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 366, default: 90, description: 'how many days the token opens the data' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(366)
  days: number = 90;
}

export class RejectOpenApplicationDto {
  @ApiProperty({ maxLength: RETURN_TEXT_MAX, description: 'why; shown to the applicant' })
  @Satisfies(RETURN_TEXT)
  reason!: string;
}

export class ListOpenApplicationsQuery extends PageQuery {
  @ApiPropertyOptional({ enum: OPEN_APPLICATION_STATES })
  @IsOptional()
  @IsIn(OPEN_APPLICATION_STATES)
  state?: OpenApplicationState;
}
