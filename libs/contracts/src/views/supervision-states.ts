import type { SupervisionTopic } from '../supervision';
import type { AccessAlert, AccessStateData } from '../supervision/access';

/**
 * A supervision state as this node holds it (its own or one of its subtree's), with the proof: the
 * signed text its origin published and the signature, so a reader can check who vouched for it
 * (the origin's public key is in the trust list; openEnvelope/verifyEnvelope of the contracts).
 */
export interface SupervisionStateView {
  origin: string;
  topic: SupervisionTopic;
  key: string;
  version: number;
  computedAt: string;
  /** When this node stored this version. */
  receivedAt: string;
  data: unknown;
  signature: { payload: string; sig: string };
}

/** One origin's access figures, as its newest `access`/`node` state says. */
export interface AccessNodeFiguresView {
  origin: string;
  version: number;
  computedAt: string;
  data: AccessStateData;
}

/** Totals over the nodes of a roll-up (each node's own figures summed). */
export interface AccessTotalsView {
  nodes: number;
  returns: number;
  shareQueries: number;
  shareDeliveries: number;
  rows: number;
  refused: number;
  answered: number;
  overdue: number;
  grantsExpiringSoon: number;
  securityEvents: number;
  alerts: number;
}

/** GET /api/v1/supervision/access: this node's own figures, its subtree's (from their states), and the totals. */
export interface AccessRollupView {
  node: string;
  within: string;
  own: AccessNodeFiguresView | null;
  /** Every node within `within` that has published figures, this one included, by code. */
  nodes: AccessNodeFiguresView[];
  totals: AccessTotalsView;
}

export interface AccessAlertView extends AccessAlert {
  origin: string;
  computedAt: string;
}

/** GET /api/v1/supervision/alerts: the current alerts of the subtree (each node's newest state). */
export interface AccessAlertListView {
  within: string;
  items: AccessAlertView[];
}

/** POST /api/v1/supervision/access/run: the figures just computed, and whether they were published (unchanged ones are not). */
export interface AccessRunView {
  outcome: 'published' | 'unchanged';
  version: number;
  data: AccessStateData;
}
