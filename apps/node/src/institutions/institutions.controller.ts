import { Body, Controller, Get, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { InstitutionsService } from './institutions.service';
import { CreateInstitutionDto } from './dto/create-institution.dto';
import { ListInstitutionsQuery } from './dto/list-institutions.query';
import { Policy } from '../access/policy.decorator';

@ApiTags('institutions')
@Controller('api/v1/institutions')
export class InstitutionsController {
  constructor(private readonly institutions: InstitutionsService) {}

  @Post()
  @Policy('institutions:write')
  register(@Body() dto: CreateInstitutionDto) {
    return this.institutions.register(dto);
  }

  @Get()
  @Policy('institutions:read')
  list(@Query() query: ListInstitutionsQuery) {
    return this.institutions.list(query);
  }
}
