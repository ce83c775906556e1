import { Body, Controller, Get, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { InstitutionView, Page } from '@tdx/contracts';
import { InstitutionsService } from './institutions.service';
import { CreateInstitutionDto } from './dto/create-institution.dto';
import { ListInstitutionsQuery } from './dto/list-institutions.query';
import { InstitutionPageDto, InstitutionViewDto } from './dto/institution.view';
import { Policy } from '../access/policy.decorator';
import { ApiRefusals } from '../common/api-docs';

@ApiTags('institutions')
@ApiRefusals('invalid')
@Controller('api/v1/institutions')
export class InstitutionsController {
  constructor(private readonly institutions: InstitutionsService) {}

  @Post()
  @Policy('institutions:write')
  @ApiOperation({ summary: 'Register an institution at this node' })
  @ApiCreatedResponse({ type: InstitutionViewDto })
  @ApiRefusals('conflict')
  register(@Body() dto: CreateInstitutionDto): Promise<InstitutionView> {
    return this.institutions.register(dto);
  }

  @Get()
  @Policy('institutions:read')
  @ApiOperation({ summary: 'List institutions of this node or its subtree' })
  @ApiOkResponse({ type: InstitutionPageDto })
  list(@Query() query: ListInstitutionsQuery): Promise<Page<InstitutionView>> {
    return this.institutions.list(query);
  }
}
