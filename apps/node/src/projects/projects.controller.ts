import { Body, Controller, Get, Param, Patch, Post, Put, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Page, ProjectReviewView, ProjectStateView, ProjectView, SynonymGroupView, SynonymsView } from '@tdx/contracts';
import { uuidParam } from '../common/id-fields';
import { ApiRefusals } from '../common/api-docs';
import { CurrentPrincipal } from '../access/current-principal.decorator';
import type { Principal } from '../access/principal';
import { Policy } from '../access/policy.decorator';
import { ProjectsService } from './projects.service';
import { SupervisionScope } from '../supervision/supervision-scope';
import {
  AmendProjectDto,
  DeclareProjectDto,
  ListProjectsQuery,
  ReplaceSynonymsDto,
  ReviewProjectDto,
  SupervisedProjectsQuery,
  SynonymGroupDto,
} from './dto/project.dto';
import { ProjectPageDto, ProjectReviewViewDto, ProjectStatePageDto, ProjectViewDto, SynonymGroupViewDto, SynonymsViewDto } from './dto/project.view';

const uuid = uuidParam('id');

/** The synonym table of the duplicate-collection check (Article 12 (d)); before the projects' `:id` routes, which would take `synonyms` for an id. */
@ApiTags('projects')
@ApiRefusals('invalid')
@Controller('api/v1/projects/synonyms')
export class ProjectSynonymsController {
  constructor(private readonly projects: ProjectsService) {}

  @Get()
  @Policy('supervision:manage')
  @ApiOperation({ summary: 'The synonym groups of data item names used to find data collected again' })
  @ApiOkResponse({ type: SynonymsViewDto })
  list(): Promise<SynonymsView> {
    return this.projects.synonyms();
  }

  @Put()
  @Policy('supervision:manage')
  @ApiOperation({ summary: 'Replace the whole synonym table' })
  @ApiOkResponse({ type: SynonymsViewDto })
  replace(@Body() dto: ReplaceSynonymsDto, @CurrentPrincipal() actor: Principal): Promise<SynonymsView> {
    return this.projects.replaceSynonyms(
      dto.groups.map((g) => g.names),
      actor,
    );
  }

  @Post()
  @Policy('supervision:manage')
  @ApiOperation({ summary: 'Add one synonym group' })
  @ApiCreatedResponse({ type: SynonymGroupViewDto })
  add(@Body() dto: SynonymGroupDto, @CurrentPrincipal() actor: Principal): Promise<SynonymGroupView> {
    return this.projects.addSynonymGroup(dto.names, actor);
  }
}

/** Digital projects declared at this node and their review (Article 12). */
@ApiTags('projects')
@ApiRefusals('invalid')
@Controller('api/v1/projects')
export class ProjectsController {
  constructor(private readonly projects: ProjectsService) {}

  @Post()
  @Policy('projects:declare')
  @ApiOperation({ summary: 'Declare a digital project of an institution of this node' })
  @ApiCreatedResponse({ type: ProjectViewDto })
  @ApiRefusals('refused')
  declare(@Body() dto: DeclareProjectDto, @CurrentPrincipal() actor: Principal): Promise<ProjectView> {
    return this.projects.declare(dto, actor);
  }

  @Get()
  @Policy('projects:declare')
  @ApiOperation({ summary: "List projects declared here (institution staff: their own institution's)" })
  @ApiOkResponse({ type: ProjectPageDto })
  list(@Query() query: ListProjectsQuery, @CurrentPrincipal() actor: Principal): Promise<Page<ProjectView>> {
    return this.projects.list(query, actor);
  }

  @Get(':id')
  @Policy('projects:declare')
  @ApiOperation({ summary: 'Show a project with its reviews' })
  @ApiOkResponse({ type: ProjectViewDto })
  @ApiRefusals('not-found')
  get(@Param('id', uuid) id: string, @CurrentPrincipal() actor: Principal): Promise<ProjectView> {
    return this.projects.get(id, actor);
  }

  @Patch(':id')
  @Policy('projects:declare')
  @ApiOperation({ summary: "Amend a project's declaration (a new version); lifts a refusal" })
  @ApiOkResponse({ type: ProjectViewDto })
  @ApiRefusals('not-found', 'refused')
  amend(@Param('id', uuid) id: string, @Body() dto: AmendProjectDto, @CurrentPrincipal() actor: Principal): Promise<ProjectView> {
    return this.projects.amend(id, dto, actor);
  }

  @Post(':id/reviews')
  @Policy('projects:review')
  @ApiOperation({ summary: 'Review a stage (approval, acceptance, operations, in order): a decision per clause of Article 12' })
  @ApiCreatedResponse({ type: ProjectReviewViewDto })
  @ApiRefusals('not-found', 'refused')
  review(@Param('id', uuid) id: string, @Body() dto: ReviewProjectDto, @CurrentPrincipal() actor: Principal): Promise<ProjectReviewView> {
    return this.projects.review(id, dto.stage, actor);
  }
}

/** The subtree's project review states, signed by the nodes that reviewed them (Article 12, Article 7's supervision). */
@ApiTags('supervision')
@ApiRefusals('invalid')
@Controller('api/v1/supervision/projects')
export class SupervisedProjectsController {
  constructor(
    private readonly projects: ProjectsService,
    private readonly scope: SupervisionScope,
  ) {}

  @Get()
  @Policy('supervision:read')
  @ApiOperation({ summary: "Project review states of this node's subtree" })
  @ApiOkResponse({ type: ProjectStatePageDto })
  @ApiRefusals('refused')
  list(@Query() query: SupervisedProjectsQuery): Promise<Page<ProjectStateView>> {
    this.scope.resolve(query.within);
    return this.projects.supervised({ within: query.within, limit: query.limit, cursor: query.cursor });
  }
}
