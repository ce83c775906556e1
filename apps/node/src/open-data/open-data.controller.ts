import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import type { EntryState, OpenEntryView } from '@tdx/contracts';
import { Public } from '../access/policy.decorator';
import { cursors } from '../common/cursor';
import { Page, pageOf } from '../common/paging';
import { CatalogEntryRepository } from '../catalog/catalog-entry.repository';
import { CatalogSearchQuery } from '../catalog/dto/catalog-search.query';
import { ApiRefusals } from '../common/api-docs';
import { OpenEntryPageDto } from './dto/open-entry.view';

/**
 * The public's door (Article 10: open data leaves through the same channel): the active entries
 * of this node and its subtree that are open to the public (unconditional, grade L1), without signing in.
 */
@ApiTags('open data')
@Controller('api/v1/open')
export class OpenDataController {
  constructor(
    private readonly dataSource: DataSource,
    private readonly entries: CatalogEntryRepository,
  ) {}

  @Get('catalog')
  @Public()
  @ApiOperation({ summary: 'Search the open catalog (no sign-in)' })
  @ApiOkResponse({ type: OpenEntryPageDto })
  @ApiRefusals('invalid')
  async catalog(@Query() query: CatalogSearchQuery): Promise<Page<OpenEntryView>> {
    const { items, lastSeq } = await this.entries.list(this.dataSource.manager, {
      q: query.q,
      type: query.type,
      status: 'active',
      openToPublic: true,
      afterSeq: cursors.seq(query.cursor),
      limit: query.limit,
    });
    return pageOf(items.map(openView), query.limit, lastSeq === null ? undefined : cursors.ofSeq(lastSeq));
  }
}

function openView(e: EntryState): OpenEntryView {
  return {
    id: e.id,
    origin: e.origin,
    code: e.code,
    type: e.type,
    name: e.name,
    summary: e.summary,
    category: e.category,
    grade: e.grade,
    openType: e.openType,
    updateCycle: e.updateCycle,
    format: e.format,
    regionScope: e.regionScope,
    releaseDate: e.releaseDate,
    version: e.version,
    updatedAt: e.updatedAt,
    dataItems: e.dataItems.map(({ name, type }) => ({ name, type })),
  };
}
