import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { NodeInfoView } from '@tdx/contracts';
import { NodeInfoViewDto } from './dto/federation.view';
import { findDivision } from '@tdx/divisions';
import { NODE_CONFIG, NodeRuntimeConfig } from '../config/node-config';
import { FederationStatusService } from './federation-status.service';
import { Policy } from '../access/policy.decorator';

@ApiTags('node')
@Controller('api/v1/node')
export class NodeInfoController {
  constructor(
    @Inject(NODE_CONFIG) private readonly config: NodeRuntimeConfig,
    private readonly federation: FederationStatusService,
  ) {}

  /** Who this node is, its parent, and its children with the state of each link. */
  @Get()
  @Policy('node:read')
  @ApiOperation({ summary: 'Who this node is, its parent, and its children' })
  @ApiOkResponse({ type: NodeInfoViewDto })
  async describe(): Promise<NodeInfoView> {
    const status = await this.federation.status();
    return {
      code: this.config.code,
      name: this.config.name,
      level: this.config.level,
      publicKey: this.config.signingKey.publicKey,
      parent: this.config.parentCode
        ? { code: this.config.parentCode, name: status.parent?.name ?? findDivision(this.config.parentCode)?.name ?? null, link: status.parent }
        : null,
      children: status.children,
    };
  }
}
