import { Body, Controller, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { ResourcesOverview, ResourceView } from '@tdx/contracts';
import { CurrentPrincipal } from '../access/current-principal.decorator';
import { Policy } from '../access/policy.decorator';
import type { Principal } from '../access/principal';
import { ApiRefusals } from '../common/api-docs';
import { uuidParam } from '../common/id-fields';
import { CreateAllocationDto, ResourcesViewQuery, SetCapacityDto, SetDependenciesDto } from './dto/resources.dto';
import { ResourcesOverviewDto, ResourceViewDto } from './dto/resources.view';
import { ResourcesService } from './resources.service';

const entryId = uuidParam('entryId');

/**
 * Article 11: applications, components and compute are catalog entries; here an application's
 * dependencies, a compute resource's capacity and its allocations are managed, by the institution
 * that provides the resource (catalog:write, its own only) or the node's operator.
 */
@ApiTags('resources')
@ApiRefusals('invalid')
@Controller('api/v1/resources')
export class ResourcesController {
  constructor(private readonly resources: ResourcesService) {}

  @Get(':entryId')
  @Policy('catalog:read')
  @ApiOperation({ summary: 'A resource: its dependencies, reuse count, capacity and allocations' })
  @ApiOkResponse({ type: ResourceViewDto })
  @ApiRefusals('not-found')
  get(@Param('entryId', entryId) id: string): Promise<ResourceView> {
    return this.resources.get(id);
  }

  @Put(':entryId/dependencies')
  @Policy('catalog:write')
  @ApiOperation({ summary: "Replace an application's dependencies on data entries and components" })
  @ApiOkResponse({ type: ResourceViewDto })
  @ApiRefusals('not-found', 'refused')
  setDependencies(@Param('entryId', entryId) id: string, @Body() dto: SetDependenciesDto, @CurrentPrincipal() actor: Principal): Promise<ResourceView> {
    return this.resources.setDependencies(id, dto.dependencies, actor);
  }

  @Put(':entryId/capacity')
  @Policy('catalog:write')
  @ApiOperation({ summary: "Set a compute resource's capacity (never below what is allocated)" })
  @ApiOkResponse({ type: ResourceViewDto })
  @ApiRefusals('not-found', 'refused')
  setCapacity(@Param('entryId', entryId) id: string, @Body() dto: SetCapacityDto, @CurrentPrincipal() actor: Principal): Promise<ResourceView> {
    return this.resources.setCapacity(id, dto, actor);
  }

  @Post(':entryId/allocations')
  @Policy('catalog:write')
  @HttpCode(201)
  @ApiOperation({ summary: 'Allocate part of a compute resource to an institution for a period (never beyond capacity)' })
  @ApiCreatedResponse({ type: ResourceViewDto })
  @ApiRefusals('not-found', 'refused')
  allocate(@Param('entryId', entryId) id: string, @Body() dto: CreateAllocationDto, @CurrentPrincipal() actor: Principal): Promise<ResourceView> {
    return this.resources.allocate(id, dto, actor);
  }
}

/** The integrated resource view of a subtree: figures, for the operator and the supervisor. */
@ApiTags('supervision')
@ApiRefusals('invalid')
@Controller('api/v1/supervision/resources')
export class ResourcesOverviewController {
  constructor(private readonly resources: ResourcesService) {}

  @Get()
  @Policy('supervision:read')
  @ApiOperation({ summary: 'Resources by type, owner, use and duplication, per node and rolled up' })
  @ApiOkResponse({ type: ResourcesOverviewDto })
  @ApiRefusals('refused')
  overview(@Query() query: ResourcesViewQuery): Promise<ResourcesOverview> {
    return this.resources.overview(query.within);
  }
}
