import { Body, Controller, Delete, Get, Headers, HttpCode, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiExtraModels, ApiOkResponse, ApiOperation, ApiResponse, ApiTags, getSchemaPath } from '@nestjs/swagger';
import type { DatasetDeleteView, DatasetLoadView, DatasetRowView, DatasetSummaryView, Page } from '@tdx/contracts';
import type { Request, Response } from 'express';
import { DomainRefusal } from '../common/domain-refusal';
import { uuidParam } from '../common/id-fields';
import { DatasetsService, uploadFormatOf } from './datasets.service';
import { DeleteRowsDto } from './dto/delete-rows.dto';
import { ListDatasetRowsQuery } from './dto/list-rows.query';
import { MAX_ROW_KEY } from './upload-reader';
import { NODE_CONFIG, NodeRuntimeConfig } from '../config/node-config';
import { refuseDeclaredOversize } from '../hardening/request-limits';
import { Policy } from '../access/policy.decorator';
import { CurrentPrincipal } from '../access/current-principal.decorator';
import { InstitutionScope } from '../catalog/institution-scope';
import type { Principal } from '../access/principal';
import { WorkLimits } from '../hardening/work-limits';
import { ApiRefusals, ErrorViewDto } from '../common/api-docs';
import { DatasetDeleteViewDto, DatasetLoadViewDto, DatasetRowPageDto, DatasetSummaryViewDto, UploadRefusalViewDto } from './dto/dataset.view';

const uuid = uuidParam('entryId');

@ApiTags('datasets')
@ApiRefusals('invalid', 'not-found')
@Controller('api/v1/datasets')
export class DatasetsController {
  private readonly uploadLimitBytes: number;

  constructor(
    private readonly datasets: DatasetsService,
    @Inject(NODE_CONFIG) config: NodeRuntimeConfig,
    private readonly scope: InstitutionScope,
    private readonly limits: WorkLimits,
  ) {
    this.uploadLimitBytes = config.http.uploadLimitBytes;
  }

  /**
   * Streams a CSV or NDJSON upload into the dataset, all or nothing. The body is never parsed by
   * the app's body parser (registered for application/json only): the service reads the raw
   * request stream itself.
   */
  @Post(':entryId/rows')
  @Policy('datasets:write')
  @HttpCode(200)
  @ApiConsumes('text/csv', 'application/x-ndjson')
  @ApiBody({ description: 'CSV with the header row_key,region_code,<data items>; or NDJSON objects {"rowKey", "regionCode", <data items>}' })
  @ApiOperation({ summary: "Load rows into an entry's dataset from CSV or NDJSON, all or nothing" })
  @ApiOkResponse({ type: DatasetLoadViewDto })
  @ApiExtraModels(UploadRefusalViewDto)
  @ApiResponse({
    status: 400,
    description: "A malformed parameter (fields), or the upload's content: every problem by line up to the cap (errors, truncated); nothing was loaded.",
    schema: { anyOf: [{ $ref: getSchemaPath(ErrorViewDto) }, { $ref: getSchemaPath(UploadRefusalViewDto) }] },
  })
  @ApiResponse({ status: 413, description: 'The upload is larger than the node accepts.', type: ErrorViewDto })
  @ApiResponse({ status: 415, description: 'Not CSV or NDJSON (or a charset or encoding not accepted).', type: ErrorViewDto })
  @ApiRefusals('conflict', 'refused', 'busy', 'unavailable')
  async load(
    @Param('entryId', uuid) entryId: string,
    @Headers('content-type') contentType: string | undefined,
    @Headers('content-encoding') contentEncoding: string | undefined,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
    @CurrentPrincipal() actor: Principal,
  ): Promise<DatasetLoadView> {
    const { format, gzip } = uploadFormatOf(contentType, contentEncoding);
    refuseDeclaredOversize(request, this.uploadLimitBytes);
    // Institution staff load only their own institution's datasets (checked before a byte is read).
    await this.scope.assertMayActForEntry(actor, entryId, 'write');
    let release: () => void;
    try {
      release = this.limits.admit('uploads', actor, response);
    } catch (error) {
      // The body is not read: the connection closes after the answer rather than drain it.
      response.setHeader('Connection', 'close');
      throw error;
    }
    try {
      return await this.datasets.load(entryId, request, format, gzip);
    } finally {
      release();
    }
  }

  /** Deletes many rows as tombstones, all or nothing. */
  @Post(':entryId/rows/delete')
  @Policy('datasets:write')
  @HttpCode(200)
  @ApiOperation({ summary: 'Delete many rows (tombstones), all or nothing' })
  @ApiOkResponse({ type: DatasetDeleteViewDto })
  @ApiRefusals('refused')
  async deleteMany(@Param('entryId', uuid) entryId: string, @Body() dto: DeleteRowsDto, @CurrentPrincipal() actor: Principal): Promise<DatasetDeleteView> {
    await this.scope.assertMayActForEntry(actor, entryId, 'write');
    return this.datasets.deleteRows(entryId, dto.rowKeys);
  }

  @Delete(':entryId/rows/:rowKey')
  @Policy('datasets:write')
  @ApiOperation({ summary: 'Delete one row (a tombstone)' })
  @ApiOkResponse({ type: DatasetDeleteViewDto })
  @ApiRefusals('refused')
  async deleteOne(@Param('entryId', uuid) entryId: string, @Param('rowKey') rowKey: string, @CurrentPrincipal() actor: Principal): Promise<DatasetDeleteView> {
    if (rowKey.length > MAX_ROW_KEY || rowKey.includes('\u0000')) {
      throw DomainRefusal.invalid([{ field: 'rowKey', messages: [`rowKey must be 1 to ${MAX_ROW_KEY} characters without NUL`] }]);
    }
    await this.scope.assertMayActForEntry(actor, entryId, 'write');
    return this.datasets.deleteRow(entryId, rowKey);
  }

  @Get(':entryId')
  @Policy('datasets:read')
  @ApiOperation({ summary: 'What a dataset holds: rows, deleted rows, rows per region' })
  @ApiOkResponse({ type: DatasetSummaryViewDto })
  @ApiRefusals('refused', 'busy', 'unavailable')
  async summary(
    @Param('entryId', uuid) entryId: string,
    @CurrentPrincipal() actor: Principal,
    @Res({ passthrough: true }) response: Response,
  ): Promise<DatasetSummaryView> {
    await this.scope.assertMayActForEntry(actor, entryId, 'read');
    const release = this.limits.admit('heavyReads', actor, response);
    try {
      return await this.datasets.summary(entryId);
    } finally {
      release();
    }
  }

  @Get(':entryId/rows')
  @Policy('datasets:read')
  @ApiOperation({ summary: "List a dataset's live rows" })
  @ApiOkResponse({ type: DatasetRowPageDto })
  @ApiRefusals('refused')
  async list(
    @Param('entryId', uuid) entryId: string,
    @Query() query: ListDatasetRowsQuery,
    @CurrentPrincipal() actor: Principal,
  ): Promise<Page<DatasetRowView>> {
    await this.scope.assertMayActForEntry(actor, entryId, 'read');
    return this.datasets.listRows(entryId, query);
  }
}
