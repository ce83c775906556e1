import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { JoinReply, KeyRotationView, signingKeyFromPem, signingKeyToPem, signRotation, TrustList } from '@tdx/contracts';
import { NODE_CONFIG, NodeRuntimeConfig } from '../config/node-config';
import { loadOrCreateSigningKey } from '../config/signing-key.store';
import { DomainRefusal } from '../common/domain-refusal';
import { NatsLink } from '../core/nats-link';
import { TrustListService } from '../identity/trust-list.service';
import { ParentLinkService } from './parent-link.service';

export class RotationFailed extends Error {}

/**
 * Rotation of this node's own key. The operator asks for it; the node creates the new
 * key beside the current one (`<NODE_KEY_FILE>.next`) and announces it to its parent in a join
 * signed with the new key and carrying the old key's hand-over. The parent and every ancestor
 * record it (the old key kept as the previous one), and the province names both in its next
 * trust list. Only when that list reaches this node does it sign with the new key: by then every
 * ancestor knows it, and what it signed before still verifies with the previous key.
 */
@Injectable()
export class KeyRotationService implements OnApplicationBootstrap {
  private readonly logger = new Logger('KeyRotation');

  constructor(
    @Inject(NODE_CONFIG) private readonly config: NodeRuntimeConfig,
    private readonly nats: NatsLink,
    private readonly trust: TrustListService,
    private readonly parentLink: ParentLinkService,
  ) {}

  onApplicationBootstrap(): void {
    this.trust.onAdopted((list) => this.switchIfNamed(list));
  }

  private get nextFile(): string {
    return `${this.config.keyFile}.next`;
  }

  async rotate(): Promise<KeyRotationView> {
    if (!this.config.parentCode) {
      throw DomainRefusal.refused([
        {
          rule: 'province-key-anchors-trust',
          article: 'Article 9',
          message: "the province's key signs the trust list every node checks; it is not rotated through the API",
        },
      ]);
    }
    const current = this.config.signingKey;
    // A rotation announced before and not yet in force is announced again with the same new key.
    const next = loadOrCreateSigningKey(this.nextFile).key;
    let reply: JoinReply;
    try {
      reply = await this.parentLink.joinOnce(await this.nats.ready(), this.config.parentCode, next, signRotation(this.config.code, next.publicKey, current));
    } catch (error) {
      throw new RotationFailed(`announcing the new key to ${this.config.parentCode} failed: ${(error as Error).message}`);
    }
    if (!reply.ok) throw new RotationFailed(`${this.config.parentCode} refused the new key: ${reply.reason}`);
    this.logger.log(`new key ${next.publicKey} announced to ${this.config.parentCode}; in force once the trust list names it`);
    return { state: 'announced', publicKey: next.publicKey, previousPublicKey: current.publicKey };
  }

  /** Signs with the new key once the trust list names it for this node. */
  private switchIfNamed(list: TrustList): void {
    if (!existsSync(this.nextFile)) return;
    const next = signingKeyFromPem(readFileSync(this.nextFile, 'utf8'));
    const named = list.nodes.find((n) => n.code === this.config.code);
    if (named?.publicKey !== next.publicKey || this.config.signingKey.publicKey === next.publicKey) return;
    // Keep the old key, then put the new one in place with one atomic rename: a crash leaves one or the other.
    writeFileSync(`${this.config.keyFile}.previous`, signingKeyToPem(this.config.signingKey), { mode: 0o600 });
    renameSync(this.nextFile, this.config.keyFile);
    this.config.signingKey = next;
    this.logger.log(`now signing with the new key ${next.publicKey} (trust list version ${list.version})`);
  }
}
