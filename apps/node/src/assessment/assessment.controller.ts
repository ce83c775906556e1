import { Body, Controller, Get, Header, Param, Put, Query, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import type { AssessmentScorecardView, AssessmentWeightSetView, DivisionScorecard } from '@tdx/contracts';
import { CurrentPrincipal } from '../access/current-principal.decorator';
import { Policy } from '../access/policy.decorator';
import type { Principal } from '../access/principal';
import { ApiRefusals } from '../common/api-docs';
import { divisionCodeParam } from '../common/id-fields';
import { DivisionScorecardQuery, ScorecardQuery, SetWeightsDto } from './dto/assessment.dto';
import { DivisionScorecardViewDto, ScorecardViewDto, WeightSetViewDto } from './dto/assessment.view';
import { REPORT_CSP, scorecardCsv, scorecardHtml } from './assessment-report';
import { AssessmentService } from './assessment.service';

/**
 * The annual assessment (Article 5): scorecards for the operator and the supervisor; the weights
 * for the operator. The fixed paths come before `:division`, which would otherwise take them.
 */
@ApiTags('supervision')
@ApiRefusals('invalid')
@Controller('api/v1/supervision/assessment')
export class AssessmentController {
  constructor(private readonly assessment: AssessmentService) {}

  @Get('weights')
  @Policy('supervision:read')
  @ApiOperation({ summary: 'The weight set in force at this node' })
  @ApiOkResponse({ type: WeightSetViewDto })
  weights(): Promise<AssessmentWeightSetView> {
    return this.assessment.weights();
  }

  @Put('weights')
  @Policy('supervision:manage')
  @ApiOperation({ summary: 'Set a new weight set (a new version): every indicator, summing to 1 or 100' })
  @ApiOkResponse({ type: WeightSetViewDto })
  @ApiRefusals('refused')
  setWeights(@Body() dto: SetWeightsDto, @CurrentPrincipal() actor: Principal): Promise<AssessmentWeightSetView> {
    return this.assessment.setWeights(dto.weights, actor);
  }

  @Get('export.csv')
  @Policy('supervision:read')
  @Header('Content-Type', 'text/csv; charset=utf-8')
  @ApiOperation({ summary: 'The scorecard as CSV, one line per division' })
  @ApiOkResponse({ description: 'RFC 4180, a header line and one line per division', content: { 'text/csv': { schema: { type: 'string' } } } })
  @ApiRefusals('refused')
  async csv(@Query() query: ScorecardQuery, @Res({ passthrough: true }) response: Response): Promise<string> {
    const view = await this.assessment.scorecard(query.year, query.within);
    response.setHeader('Content-Disposition', `attachment; filename="assessment-${view.within}-${view.year}.csv"`);
    return scorecardCsv(view);
  }

  @Get('report.html')
  @Policy('supervision:read')
  @Header('Content-Type', 'text/html; charset=utf-8')
  @ApiOperation({ summary: 'The scorecard as a printable HTML page' })
  @ApiOkResponse({ description: 'a self-contained page (no script, no external resource)', content: { 'text/html': { schema: { type: 'string' } } } })
  @ApiRefusals('refused')
  async html(@Query() query: ScorecardQuery, @Res({ passthrough: true }) response: Response): Promise<string> {
    const view = await this.assessment.scorecard(query.year, query.within);
    response.setHeader('Content-Security-Policy', REPORT_CSP);
    return scorecardHtml(view);
  }

  @Get()
  @Policy('supervision:read')
  @ApiOperation({ summary: 'The scorecard of every division of a subtree for a year' })
  @ApiOkResponse({ type: ScorecardViewDto })
  @ApiRefusals('refused')
  scorecard(@Query() query: ScorecardQuery): Promise<AssessmentScorecardView> {
    return this.assessment.scorecard(query.year, query.within);
  }

  @Get(':division')
  @Policy('supervision:read')
  @ApiOperation({ summary: "One division's scorecard with the evidence of every figure" })
  @ApiOkResponse({ type: DivisionScorecardViewDto })
  @ApiRefusals('refused')
  division(@Param('division') division: string, @Query() query: DivisionScorecardQuery): Promise<DivisionScorecard> {
    return this.assessment.division(divisionCodeParam(division, 'division'), query.year);
  }
}
