import { Body, Controller, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Page, QualityEntryDetailView, QualityRuleSetView, QualityRunView, QualityStateView } from '@tdx/contracts';
import { ApiRefusals } from '../common/api-docs';
import { uuidParam } from '../common/id-fields';
import { CurrentPrincipal } from '../access/current-principal.decorator';
import { actorOf, type Principal } from '../access/principal';
import { Policy } from '../access/policy.decorator';
import { ListQualityQuery, QualityRuleSetDto } from './dto/quality.dto';
import { QualityEntryDetailViewDto, QualityRuleSetViewDto, QualityRunViewDto, QualityStatePageDto } from './dto/quality.view';
import { QualityService } from './quality.service';

const uuid = uuidParam('id');

@ApiTags('supervision')
@ApiRefusals('invalid')
@Controller('api/v1/supervision/quality')
export class QualityController {
  constructor(private readonly quality: QualityService) {}

  /** Synchronous: one entry at a time in bounded memory (about 20 s per million rows, docs/quality.md). */
  @Post('run')
  @HttpCode(200)
  @Policy('supervision:manage')
  @ApiOperation({ summary: "Check the quality of this node's own entries and publish the scores" })
  @ApiOkResponse({ type: QualityRunViewDto })
  @ApiRefusals('conflict')
  run(): Promise<QualityRunView> {
    return this.quality.run();
  }

  @Get()
  @Policy('supervision:read')
  @ApiOperation({ summary: 'Quality scores of this node and its subtree (entries, institutions, nodes)' })
  @ApiOkResponse({ type: QualityStatePageDto })
  list(@Query() query: ListQualityQuery): Promise<Page<QualityStateView>> {
    return this.quality.list(query);
  }

  @Get('rules')
  @Policy('supervision:read')
  @ApiOperation({ summary: 'The quality rule set in force at this node' })
  @ApiOkResponse({ type: QualityRuleSetViewDto })
  rules(): Promise<QualityRuleSetView> {
    return this.quality.ruleSet();
  }

  @Put('rules')
  @Policy('supervision:manage')
  @ApiOperation({ summary: "Replace this node's quality rule set (stored as the next version)" })
  @ApiOkResponse({ type: QualityRuleSetViewDto })
  setRules(@Body() dto: QualityRuleSetDto, @CurrentPrincipal() actor: Principal): Promise<QualityRuleSetView> {
    return this.quality.setRuleSet({ ...dto }, actorOf(actor));
  }

  @Get('entries/:id')
  @Policy('supervision:read')
  @ApiOperation({ summary: "The latest check of one of this node's entries: defects by rule with sample row keys (never values)" })
  @ApiOkResponse({ type: QualityEntryDetailViewDto })
  @ApiRefusals('not-found')
  entry(@Param('id', uuid) id: string): Promise<QualityEntryDetailView> {
    return this.quality.entryDetail(id);
  }
}
