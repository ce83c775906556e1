import type { TrustList } from '@tdx/contracts';
import type { ExchangeRecord } from '../audit/exchange-audit.service';

/** A trust list version this node adopted: issued here (the province) or received from its parent. */
export function trustListAdopted(here: string, list: TrustList, from: string | null): ExchangeRecord {
  return {
    actor: `node:${from ?? here}`,
    action: from ? 'trust.list.received' : 'trust.list.issued',
    target: String(list.version),
    outcome: 'adopted',
    details: { issuer: list.issuer, nodes: list.nodes.length, expiresAt: list.expiresAt },
  };
}
