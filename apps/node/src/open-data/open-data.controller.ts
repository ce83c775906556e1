import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiExtraModels, ApiHeader, ApiOkResponse, ApiOperation, ApiTags, getSchemaPath } from '@nestjs/swagger';
import type { Response } from 'express';
import type { OpenApplicationCreatedView, OpenApplicationView, OpenCatalogPageView, OpenEntryView, OpenRowsPageView } from '@tdx/contracts';
import { Public } from '../access/policy.decorator';
import { ApiRefusals } from '../common/api-docs';
import { uuidParam } from '../common/id-fields';
import { CatalogSearchQuery } from '../catalog/dto/catalog-search.query';
import { CreateOpenApplicationDto, OpenDownloadQuery, OpenRowsQuery } from './dto/open-data.dto';
import {
  OpenApplicationCreatedDto,
  OpenApplicationViewDto,
  OpenCatalogPageDto,
  OpenEntryViewDto,
  OpenRowsPageDto,
  OpenRowViewDto,
} from './dto/open-entry.view';
import { OpenApplicationsService } from './open-applications.service';
import { OpenCatalogService, openView } from './open-catalog.service';
import { OpenEntries } from './open-entries';
import { DOWNLOAD_PAGE, streamDownload } from './open-download';
import { OpenRowsService } from './open-rows.service';

const uuid = uuidParam('id');
/** The token of an approved application travels in a header, never in the URL (URLs reach logs). */
const TOKEN_HEADER = 'x-open-token';
const TOKEN_DOC = { name: TOKEN_HEADER, required: false, description: 'the token of an approved application (restricted data only)' };

/**
 * The public's door (Article 10: open data leaves through the same channel), at every node and
 * without signing in, under the public rate limit: the province's open catalog, an entry, its rows
 * (paged, or streamed whole as CSV or JSON) and applications for restricted data.
 */
@ApiTags('open data')
@ApiRefusals('invalid')
@Controller('api/v1/open')
export class OpenDataController {
  constructor(
    private readonly catalogs: OpenCatalogService,
    private readonly entries: OpenEntries,
    private readonly rows: OpenRowsService,
    private readonly applications: OpenApplicationsService,
  ) {}

  @Get('catalog')
  @Public()
  @ApiOperation({ summary: "Search the province's open catalog (no sign-in)" })
  @ApiOkResponse({ type: OpenCatalogPageDto })
  catalog(@Query() query: CatalogSearchQuery): Promise<OpenCatalogPageView> {
    return this.catalogs.search(query);
  }

  @Get('entries/:id')
  @Public()
  @ApiOperation({ summary: 'An open entry of the province (no sign-in)' })
  @ApiOkResponse({ type: OpenEntryViewDto })
  @ApiRefusals('not-found', 'refused', 'unavailable')
  async entry(@Param('id', uuid) id: string): Promise<OpenEntryView> {
    return openView(await this.entries.openEntry(id, 'detail'));
  }

  @Get('entries/:id/rows')
  @Public()
  @ApiHeader(TOKEN_DOC)
  @ApiOperation({ summary: "A page of an open entry's rows, sensitive items masked (no sign-in; restricted data with a token)" })
  @ApiOkResponse({ type: OpenRowsPageDto })
  @ApiRefusals('not-found', 'refused', 'forbidden', 'unavailable')
  async entryRows(@Param('id', uuid) id: string, @Query() query: OpenRowsQuery, @Headers(TOKEN_HEADER) token?: string): Promise<OpenRowsPageView> {
    const entry = await this.entries.openEntry(id, 'rows');
    return this.rows.page(entry.origin, { entryId: id, cursor: query.cursor, limit: query.limit, ...tokenOf(token) });
  }

  @Get('entries/:id/download')
  @Public()
  @ApiHeader(TOKEN_DOC)
  @ApiOperation({ summary: "All of an open entry's rows as CSV or JSON, streamed (no sign-in; restricted data with a token)" })
  @ApiOkResponse({
    description: 'CSV (header rowKey, regionCode, the data items; RFC 4180) or a JSON array of rows, by `format`',
    content: {
      'text/csv': { schema: { type: 'string' } },
      'application/json': { schema: { type: 'array', items: { $ref: getSchemaPath(OpenRowViewDto) } } },
    },
  })
  @ApiExtraModels(OpenRowViewDto)
  @ApiRefusals('not-found', 'refused', 'forbidden', 'unavailable')
  async download(
    @Param('id', uuid) id: string,
    @Query() query: OpenDownloadQuery,
    @Res() response: Response,
    @Headers(TOKEN_HEADER) token?: string,
  ): Promise<void> {
    const entry = await this.entries.openEntry(id, 'rows');
    const ask = { entryId: id, limit: DOWNLOAD_PAGE, ...tokenOf(token) };
    const first = await this.rows.page(entry.origin, ask);
    await streamDownload(response, entry, query.format, first, (cursor) => this.rows.page(entry.origin, { ...ask, cursor }));
  }

  @Post('applications')
  @Public()
  @HttpCode(201)
  @ApiOperation({ summary: 'Apply for restricted open data (no sign-in): the answer holds a token, shown once' })
  @ApiCreatedResponse({ type: OpenApplicationCreatedDto })
  @ApiRefusals('not-found', 'refused', 'unavailable')
  apply(@Body() dto: CreateOpenApplicationDto): Promise<OpenApplicationCreatedView> {
    return this.applications.apply(dto);
  }

  @Get('applications/:id')
  @Public()
  @ApiHeader({ ...TOKEN_DOC, required: true, description: 'the token given with the application' })
  @ApiOperation({ summary: "An application's state, with its token (no sign-in), at the node applied at" })
  @ApiOkResponse({ type: OpenApplicationViewDto })
  @ApiRefusals('not-found')
  application(@Param('id', uuid) id: string, @Headers(TOKEN_HEADER) token?: string): Promise<OpenApplicationView> {
    return this.applications.status(id, tokenOf(token).token);
  }
}

/** A token header worth passing on: a blank or overlong one is none (the origin refuses without one). */
function tokenOf(header: string | undefined): { token?: string } {
  const token = header?.trim();
  return token && token.length <= 256 ? { token } : {};
}
