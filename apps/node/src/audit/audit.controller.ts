import { Body, Controller, Get, HttpCode, Post, Query, Res } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, ApiOperation, ApiTags, getSchemaPath } from '@nestjs/swagger';
import type { AuditPruneView, AuditRecordView, AuditVerificationView, Page } from '@tdx/contracts';
import type { Response } from 'express';
import { once } from 'node:events';
import { Policy } from '../access/policy.decorator';
import { AuditService } from './audit.service';
import { CurrentPrincipal } from '../access/current-principal.decorator';
import { actorOf, type Principal } from '../access/principal';
import { WorkLimits } from '../hardening/work-limits';
import { ExportAuditQuery, ListAuditQuery, PruneAuditDto, VerifyAuditQuery } from './dto/audit.query';
import { AuditPruneViewDto, AuditRecordPageDto, AuditRecordViewDto, AuditVerificationViewDto } from './dto/audit.view';
import { ApiRefusals } from '../common/api-docs';

/** The audit log of this node: read, verify, export (the node's operator and its auditors), and prune its exported oldest part (the operator). */
@ApiTags('audit')
@ApiRefusals('invalid')
@Controller('api/v1/audit')
export class AuditController {
  constructor(
    private readonly audit: AuditService,
    private readonly limits: WorkLimits,
  ) {}

  @Get()
  @Policy('audit:read')
  @ApiOperation({ summary: 'List audit records, filtered' })
  @ApiOkResponse({ type: AuditRecordPageDto })
  list(@Query() query: ListAuditQuery): Promise<Page<AuditRecordView>> {
    return this.audit.list(query);
  }

  /** Prunes the oldest records through the last record of a verified export (see AuditService.prune). */
  @Post('prune')
  @Policy('audit:prune')
  @HttpCode(200)
  @ApiOperation({ summary: 'Prune the oldest records through the last record of a verified export' })
  @ApiOkResponse({ type: AuditPruneViewDto })
  @ApiRefusals('refused')
  prune(@Body() body: PruneAuditDto, @CurrentPrincipal() actor: Principal): Promise<AuditPruneView> {
    return this.audit.prune(body, actorOf(actor));
  }

  @Get('verify')
  @Policy('audit:read')
  @ApiOperation({ summary: 'Verify the whole hash chain of the audit log' })
  @ApiOkResponse({ type: AuditVerificationViewDto })
  @ApiRefusals('busy', 'unavailable')
  async verify(
    @Query() query: VerifyAuditQuery,
    @CurrentPrincipal() actor: Principal,
    @Res({ passthrough: true }) response: Response,
  ): Promise<AuditVerificationView> {
    const release = this.limits.admit('heavyReads', actor, response);
    try {
      // One long transaction over the whole log: on one of the bulk connections.
      return await this.limits.bulkDb.run(() => this.audit.verify(query));
    } finally {
      release();
    }
  }

  /**
   * NDJSON, one record a line with its chain fields, so `tdx audit verify --file` can check it
   * without the node. Streamed in batches with backpressure: an export of years holds one batch.
   */
  @Get('export')
  @Policy('audit:read')
  @ApiOperation({ summary: 'Export audit records as NDJSON, one record a line' })
  @ApiExtraModels(AuditRecordViewDto)
  @ApiOkResponse({
    description: 'One audit record (AuditRecordViewDto) a line; the header tdx-audit-head is the head at the start of the export.',
    content: { 'application/x-ndjson': { schema: { $ref: getSchemaPath(AuditRecordViewDto) } } },
  })
  @ApiRefusals('busy', 'unavailable')
  async export(@Query() query: ExportAuditQuery, @CurrentPrincipal() actor: Principal, @Res() response: Response): Promise<void> {
    // Each batch takes a connection only while it is read, never while the client is slow to take it.
    const release = this.limits.admit('heavyReads', actor, response);
    try {
      await this.streamExport(query, response);
    } finally {
      release();
    }
  }

  private async streamExport(query: ExportAuditQuery, response: Response): Promise<void> {
    const { span, head } = await this.audit.exportSpan(query.from, query.to);
    response.status(200);
    response.setHeader('content-type', 'application/x-ndjson; charset=utf-8');
    response.setHeader('content-disposition', `attachment; filename="audit-${span ? `${span.first}-${span.last}` : 'empty'}.ndjson"`);
    // The head at the start of the export: keep it apart from the file, as an anchor for later checks.
    response.setHeader('tdx-audit-head', `${head.seq}:${head.hash}`);
    try {
      if (span) {
        await this.audit.exportRecords(span, async (record) => {
          if (!response.write(`${JSON.stringify(record)}\n`)) await once(response, 'drain');
        });
      }
      response.end();
    } catch (error) {
      // Headers are gone: the only honest signal left is a cut connection (the client sees an incomplete body).
      response.destroy(error as Error);
    }
  }
}
