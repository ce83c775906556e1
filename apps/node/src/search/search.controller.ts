import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { CatalogEntryView, SearchPageView } from '@tdx/contracts';
import { Policy } from '../access/policy.decorator';
import { ApiRefusals } from '../common/api-docs';
import { DomainRefusal } from '../common/domain-refusal';
import { uuidParam } from '../common/id-fields';
import { CatalogEntryViewDto } from '../catalog/dto/catalog-entry.view';
import { ProvinceCatalog } from './province-catalog';
import { SearchQuery } from './dto/search.query';
import { SearchPageViewDto } from './dto/search-page.view';

const uuid = uuidParam('id');

@ApiTags('search')
@ApiRefusals('invalid')
@Controller('api/v1/search')
export class SearchController {
  constructor(private readonly catalog: ProvinceCatalog) {}

  @Get()
  @Policy('catalog:read')
  @ApiOperation({ summary: "Search the whole province's catalog (Chinese by substring), from any node" })
  @ApiOkResponse({ type: SearchPageViewDto })
  async search(@Query() query: SearchQuery): Promise<SearchPageView> {
    const page = await this.catalog.search(query);
    return { items: page.items, nextCursor: page.nextCursor ?? null, scope: page.scope };
  }

  @Get('entries/:id')
  @Policy('catalog:read')
  @ApiOperation({ summary: 'Show an entry of the province catalog, wherever it was registered' })
  @ApiOkResponse({ type: CatalogEntryViewDto })
  @ApiRefusals('not-found', 'unavailable')
  async entry(@Param('id', uuid) id: string): Promise<CatalogEntryView> {
    const entry = await this.catalog.entry(id);
    if (!entry) throw DomainRefusal.notFound(`no catalog entry ${id} in the province's catalog`);
    return entry;
  }
}
