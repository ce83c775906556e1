import { HttpException, HttpStatus, Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { isStrictlyBelow } from '@tdx/divisions';
import { NODE_CONFIG, NodeRuntimeConfig } from '../config/node-config';
import { ConflictError, DomainRefusalException, NotFoundError } from '../common/domain-refusal';
import { ChildLinksService } from './child-links.service';
import { KnownNode, LinkStateRepository, NodeStatus } from './link-state.repository';
import { TrustListService } from './trust-list.service';
import { KeyRotationService, RotationFailed } from './key-rotation.service';

/** The operator's side of node identity: who asked to join, approval, rejection, revocation, and the trust list. */
@Injectable()
export class NodeIdentityService {
  constructor(
    @Inject(NODE_CONFIG) private readonly config: NodeRuntimeConfig,
    private readonly dataSource: DataSource,
    private readonly links: LinkStateRepository,
    private readonly childLinks: ChildLinksService,
    private readonly trust: TrustListService,
    private readonly rotation: KeyRotationService,
  ) {}

  async list(status?: NodeStatus) {
    return { items: (await this.links.listKnownNodes(this.dataSource.manager, status)).map(view) };
  }

  /** Approves a direct child's join (again, after a rejection or revocation). */
  async approve(code: string, by: string) {
    const node = await this.find(code);
    if (node.via !== node.code) {
      throw new DomainRefusalException([{ rule: 'not-a-direct-child', article: 'Article 9',
        message: `${code} joined through ${node.via}; its join is approved there` }]);
    }
    if (node.status === 'approved') throw new ConflictError(`${code} is approved already`);
    await this.childLinks.approve(code, by);
    return view(await this.find(code));
  }

  async reject(code: string, by: string, reason: string) {
    const node = await this.find(code);
    if (node.status !== 'pending') throw new ConflictError(`only a pending join can be rejected; ${code} is ${node.status}`);
    await this.childLinks.refuse(code, 'rejected', by, reason);
    return view(await this.find(code));
  }

  /** Nothing `code` signs is accepted here from now on; at the province, the next trust list leaves it out everywhere. */
  async revoke(code: string, by: string, reason: string) {
    const node = await this.find(code);
    if (node.status === 'revoked') throw new ConflictError(`${code} is revoked already`);
    await this.childLinks.refuse(code, 'revoked', by, reason);
    return view(await this.find(code));
  }

  async rotateKey() {
    try {
      return await this.rotation.rotate();
    } catch (error) {
      if (error instanceof RotationFailed) {
        throw new HttpException({ statusCode: HttpStatus.BAD_GATEWAY, error: 'Bad Gateway', message: error.message }, HttpStatus.BAD_GATEWAY);
      }
      throw error;
    }
  }

  trustList() {
    return this.trust.summary();
  }

  private async find(code: string): Promise<KnownNode> {
    const node = isStrictlyBelow(code, this.config.code) ? await this.links.knownNode(this.dataSource.manager, code) : undefined;
    if (!node) throw new NotFoundError(`no node ${code} has asked to join below ${this.config.code}`);
    return node;
  }
}

function view(n: KnownNode) {
  return {
    code: n.code.trim(), name: n.name, level: n.level, parentCode: n.parentCode.trim(), via: n.via.trim(), publicKey: n.publicKey,
    status: n.status, joinedAt: new Date(n.joinedAt).toISOString(), decidedAt: n.decidedAt ? new Date(n.decidedAt).toISOString() : null,
    decidedBy: n.decidedBy, reason: n.reason,
  };
}
