import {
  FEDERATION_NODE_STATES,
  type FederationNodeListView,
  type FederationNodeView,
  TRUST_LIST_STATES,
  type TrustedNode,
  type TrustListView,
} from '@tdx/contracts';
import { DIVISION_LEVELS } from '@tdx/divisions';
import { View } from '../../common/api-docs';

/** A node known here, or a join waiting here (one per key that asks). */
export class FederationNodeViewDto implements FederationNodeView {
  @View.text()
  code!: string;

  @View.text()
  name!: string;

  @View.oneOf(DIVISION_LEVELS)
  level!: FederationNodeView['level'];

  @View.textOrNull()
  parentCode!: string | null;

  @View.text({ description: 'the direct child through which it joined (itself for a direct child)' })
  via!: string;

  @View.text()
  publicKey!: string;

  @View.text()
  fingerprint!: string;

  @View.textOrNull()
  previousPublicKey!: string | null;

  @View.oneOf(FEDERATION_NODE_STATES)
  status!: FederationNodeView['status'];

  @View.timeOrNull()
  joinedAt!: string | null;

  @View.timeOrNull()
  decidedAt!: string | null;

  @View.textOrNull()
  decidedBy!: string | null;

  @View.textOrNull()
  reason!: string | null;

  @View.timeOrNull({ required: false, description: 'joins only: when it last asked' })
  lastSeen?: string | null;

  @View.int({ required: false, description: 'joins only: how many times it asked' })
  attempts?: number;

  @View.text({ required: false, description: 'joins only: the NATS subject the join came in on' })
  source?: string;
}

export class FederationNodeListViewDto implements FederationNodeListView {
  @View.of([FederationNodeViewDto])
  items!: FederationNodeView[];
}

class TrustedNodeViewDto implements TrustedNode {
  @View.text()
  code!: string;

  @View.textOrNull({ description: 'null for the province' })
  parent!: string | null;

  @View.text()
  name!: string;

  @View.text()
  publicKey!: string;

  @View.text({ required: false, description: 'after a rotation: the key before it' })
  previousPublicKey?: string;
}

export class TrustListViewDto implements TrustListView {
  @View.oneOf(TRUST_LIST_STATES, { description: 'missing or expired: nothing is trusted (fail closed)' })
  state!: TrustListView['state'];

  @View.text()
  issuer!: string;

  @View.intOrNull()
  version!: number | null;

  @View.timeOrNull()
  issuedAt!: string | null;

  @View.timeOrNull()
  expiresAt!: string | null;

  @View.intOrNull()
  expiresInSeconds!: number | null;

  @View.bool({ description: 'near expiry, or no list' })
  alarm!: boolean;

  @View.of([TrustedNodeViewDto])
  nodes!: TrustedNode[];
}
