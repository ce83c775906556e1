import { Body, Controller, Delete, Get, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { CatalogBulkView, CatalogEntryView, Page } from '@tdx/contracts';
import { CatalogService } from './catalog.service';
import { CreateEntryDto } from './dto/create-entry.dto';
import { UpdateEntryDto } from './dto/update-entry.dto';
import { ListEntriesQuery } from './dto/list-entries.query';
import { BulkCreateEntriesDto } from './dto/bulk-create.dto';
import { uuidParam } from '../common/id-fields';
import { CatalogBulkViewDto, CatalogEntryPageDto, CatalogEntryViewDto } from './dto/catalog-entry.view';
import { ApiRefusals } from '../common/api-docs';
import { CurrentPrincipal } from '../access/current-principal.decorator';
import type { Principal } from '../access/principal';
import { Policy } from '../access/policy.decorator';

// A malformed id is answered like any malformed input: 400 naming the field.
const uuid = uuidParam('id');

@ApiTags('catalog')
@ApiRefusals('invalid')
@Controller('api/v1/catalog/entries')
export class CatalogController {
  constructor(private readonly catalog: CatalogService) {}

  @Post()
  @Policy('catalog:write')
  @ApiOperation({ summary: 'Register a catalog entry (version 1)' })
  @ApiCreatedResponse({ type: CatalogEntryViewDto })
  @ApiRefusals('conflict', 'refused')
  register(@Body() dto: CreateEntryDto, @CurrentPrincipal() actor: Principal): Promise<CatalogEntryView> {
    return this.catalog.register(dto, actor);
  }

  /** Up to 1,000 entries in one all-or-nothing transaction; bad rows are named by number. */
  @Post('bulk')
  @Policy('catalog:write')
  @ApiOperation({ summary: 'Register up to 1,000 entries, all or nothing' })
  @ApiCreatedResponse({ type: CatalogBulkViewDto })
  @ApiRefusals('conflict', 'refused')
  async registerMany(@Body() dto: BulkCreateEntriesDto, @CurrentPrincipal() actor: Principal): Promise<CatalogBulkView> {
    const items = await this.catalog.registerMany(dto.entries, actor);
    return { count: items.length, items };
  }

  @Get()
  @Policy('catalog:read')
  @ApiOperation({ summary: 'List or search catalog entries of this node or its subtree' })
  @ApiOkResponse({ type: CatalogEntryPageDto })
  list(@Query() query: ListEntriesQuery): Promise<Page<CatalogEntryView>> {
    return this.catalog.list(query);
  }

  @Get(':id')
  @Policy('catalog:read')
  @ApiOperation({ summary: 'Show a catalog entry at its current version' })
  @ApiOkResponse({ type: CatalogEntryViewDto })
  @ApiRefusals('not-found')
  get(@Param('id', uuid) id: string): Promise<CatalogEntryView> {
    return this.catalog.get(id);
  }

  @Patch(':id')
  @Policy('catalog:write')
  @ApiOperation({ summary: 'Edit an entry of this node: a new version' })
  @ApiOkResponse({ type: CatalogEntryViewDto })
  @ApiRefusals('not-found', 'conflict', 'refused')
  update(@Param('id', uuid) id: string, @Body() dto: UpdateEntryDto, @CurrentPrincipal() actor: Principal): Promise<CatalogEntryView> {
    return this.catalog.update(id, dto, actor);
  }

  @Delete(':id')
  @Policy('catalog:write')
  @ApiOperation({ summary: 'Retire an entry of this node (final; a new version)' })
  @ApiOkResponse({ type: CatalogEntryViewDto })
  @ApiRefusals('not-found', 'refused')
  retire(@Param('id', uuid) id: string, @CurrentPrincipal() actor: Principal): Promise<CatalogEntryView> {
    return this.catalog.retire(id, actor);
  }
}
