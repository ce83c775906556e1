import type { ChannelRefusal } from '@tdx/contracts';
import { DomainRefusal } from '../common/domain-refusal';

/** A refusal as the channel carries it: kind, message, rule, fields: everything HTTP answers with. */
export function toChannelRefusal(refusal: DomainRefusal): ChannelRefusal {
  return {
    kind: refusal.kind,
    message: refusal.message,
    ...(refusal.rule ? { rule: refusal.rule } : {}),
    ...(refusal.article !== undefined ? { article: refusal.article } : {}),
    permanent: refusal.permanent,
    ...(refusal.fields.length > 0 ? { fields: refusal.fields } : {}),
    ...(refusal.refusals.length > 0 ? { refusals: refusal.refusals } : {}),
  };
}

/** The far end's refusal, rethrown here as the same refusal, so this node's HTTP answer is the same. */
export function fromChannelRefusal(refusal: ChannelRefusal): DomainRefusal {
  const { kind, message, rule, article, permanent, fields, refusals } = refusal;
  if (kind === 'refused' && refusals && refusals.length > 0) return DomainRefusal.refused(refusals, { permanent });
  return new DomainRefusal(kind, message, { rule, article, permanent, fields: fields ?? [] });
}
