import { Body, Controller, Delete, Get, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { CatalogService } from './catalog.service';
import { CreateEntryDto } from './dto/create-entry.dto';
import { UpdateEntryDto } from './dto/update-entry.dto';
import { ListEntriesQuery } from './dto/list-entries.query';
import { BulkCreateEntriesDto } from './dto/bulk-create.dto';
import { uuidParam } from '../common/id-fields';
import { CurrentPrincipal } from '../access/current-principal.decorator';
import type { Principal } from '../access/principal';
import { Policy } from '../access/policy.decorator';

// A malformed id is answered like any malformed input: 400 naming the field.
const uuid = uuidParam('id');

@ApiTags('catalog')
@Controller('api/v1/catalog/entries')
export class CatalogController {
  constructor(private readonly catalog: CatalogService) {}

  @Post()
  @Policy('catalog:write')
  register(@Body() dto: CreateEntryDto, @CurrentPrincipal() actor: Principal) {
    return this.catalog.register(dto, actor);
  }

  /** Up to 1,000 entries in one all-or-nothing transaction; bad rows are named by number. */
  @Post('bulk')
  @Policy('catalog:write')
  async registerMany(@Body() dto: BulkCreateEntriesDto, @CurrentPrincipal() actor: Principal) {
    const items = await this.catalog.registerMany(dto.entries, actor);
    return { count: items.length, items };
  }

  @Get()
  @Policy('catalog:read')
  list(@Query() query: ListEntriesQuery) {
    return this.catalog.list(query);
  }

  @Get(':id')
  @Policy('catalog:read')
  get(@Param('id', uuid) id: string) {
    return this.catalog.get(id);
  }

  @Patch(':id')
  @Policy('catalog:write')
  update(@Param('id', uuid) id: string, @Body() dto: UpdateEntryDto, @CurrentPrincipal() actor: Principal) {
    return this.catalog.update(id, dto, actor);
  }

  @Delete(':id')
  @Policy('catalog:write')
  retire(@Param('id', uuid) id: string, @CurrentPrincipal() actor: Principal) {
    return this.catalog.retire(id, actor);
  }
}
