import { isWithin } from '@tdx/divisions';
import type { EntryState } from '@tdx/contracts';
import type { Refusal } from '../common/domain-refusal';

/** What the rules need to know beyond the entry itself. */
export interface RuleContext {
  nodeCode: string;
  /** Whether the provider is an active institution registered at this node. */
  providerIsLocal: boolean;
  stateSecret: boolean;
}

type Candidate = Pick<EntryState, 'grade' | 'openType' | 'shareType' | 'shareCondition' | 'legalBasis' | 'regionScope'>;

/**
 * The domain refusals of a registration or a new version (422). Every rule names the article
 * (or standard) it comes from; all that apply are returned, the first is the headline.
 */
export function refusalsFor(entry: Candidate, ctx: RuleContext): Refusal[] {
  const refusals: Refusal[] = [];
  if (ctx.stateSecret) {
    refusals.push({
      rule: 'state-secret',
      article: 'Article 2',
      message: 'public data involving state secrets is outside these Regulations and cannot be registered (Article 2)',
    });
  }
  if (entry.grade === 'L4' && entry.openType !== 'prohibited') {
    refusals.push({
      rule: 'l4-never-opened',
      article: 'Article 4; DB33/T 2351',
      message: 'an L4 (sensitive) resource is never opened: openType must be prohibited',
    });
  }
  if ((entry.grade === 'L2' || entry.grade === 'L3') && entry.openType === 'unconditional') {
    refusals.push({
      rule: 'l2-l3-restricted-opening',
      article: 'Article 4; DB33/T 2351',
      message: `an ${entry.grade} resource opens only as restricted, after approval and desensitisation`,
    });
  }
  if (entry.shareType === 'conditional' && !entry.shareCondition?.trim()) {
    refusals.push({ rule: 'share-condition-required', article: 'Article 10', message: 'conditional sharing must state the condition (shareCondition)' });
  }
  if (entry.shareType === 'none' && !entry.legalBasis?.trim()) {
    refusals.push({
      rule: 'legal-basis-required',
      article: 'Article 10',
      message: 'a resource that is not shared must state the legal basis for that (legalBasis)',
    });
  }
  if (!ctx.providerIsLocal) {
    refusals.push({ rule: 'provider-not-local', article: 'Articles 3 and 6', message: 'the provider must be an active institution registered at this node' });
  }
  if (!isWithin(entry.regionScope, ctx.nodeCode)) {
    refusals.push({
      rule: 'region-outside-jurisdiction',
      article: 'Article 9',
      message: `regionScope ${entry.regionScope} lies outside this node's jurisdiction (${ctx.nodeCode})`,
    });
  }
  return refusals;
}
