import { Inject, Injectable } from '@nestjs/common';
import { isDivisionCode, isWithin } from '@tdx/divisions';
import { NODE_CONFIG, NodeRuntimeConfig } from '../config/node-config';
import { DomainRefusal } from '../common/domain-refusal';

/**
 * Whose figures a supervision read may ask for: this node's own and its subtree's (which its
 * children carried up), never a sibling's or an ancestor's, which this node does not hold anyway;
 * saying so (422) beats an empty answer that reads as "nothing to report".
 */
@Injectable()
export class SupervisionScope {
  constructor(@Inject(NODE_CONFIG) private readonly config: NodeRuntimeConfig) {}

  /** `within`, or this node's code when absent; refused unless a division inside this node's jurisdiction. */
  resolve(within: string | undefined): string {
    const code = within ?? this.config.code;
    if (!isDivisionCode(code)) {
      throw DomainRefusal.invalid([{ field: 'within', messages: ['within must be a division code (six digits, not starting 00)'] }]);
    }
    if (!isWithin(code, this.config.code)) {
      throw DomainRefusal.refused([
        {
          rule: 'supervision-within-jurisdiction',
          article: 'Article 7',
          message: `within ${code} lies outside the jurisdiction of this node (${this.config.code}): it holds the figures of its own subtree only`,
        },
      ]);
    }
    return code;
  }
}
