import { array, divisionCode, integer, nullable, object, oneOf, refined, type Schema, text, timestamp, uuid } from '../schema';
import { LINK_HEALTH_STATES, type LinkHealth } from '../views/federation';

/**
 * Access supervision (Article 7): what a node's exchanges looked like over a period, computed at the
 * node from its own records (audit log, return and share requests, link state) and carried up the
 * tree as the `access` state of key `node`. Lists are bounded (the biggest first) so a state stays
 * a few kilobytes whatever the traffic; the totals are always whole.
 */

/** Where a refusal came from: a rule at receipt, a decision by a person, a query or delivery outside a grant, a malformed or unauthorised protocol message. */
export const ACCESS_REFUSAL_CLASSES = [
  'return-refused',
  'return-rejected',
  'share-rejected',
  'share-query-refused',
  'share-delivery-refused',
  'message-refused',
] as const;
export type AccessRefusalClass = (typeof ACCESS_REFUSAL_CLASSES)[number];

/** What an alert is about (docs/supervision.md, "Access supervision"). */
export const ACCESS_ALERT_KINDS = ['unusual-volume', 'overdue-decision', 'grant-expiring', 'link-unhealthy', 'security-events'] as const;
export type AccessAlertKind = (typeof ACCESS_ALERT_KINDS)[number];

/** Exchanges counted over the period: return requests received, share queries and deliveries, rows that crossed. */
export interface AccessVolume {
  returns: number;
  shareQueries: number;
  shareDeliveries: number;
  rows: number;
}

export interface AccessInstitutionVolume extends AccessVolume {
  institution: string;
}

export interface AccessCounterpartVolume extends AccessVolume {
  /** The other node of the exchange (division code). */
  node: string;
}

export interface AccessAlert {
  kind: AccessAlertKind;
  /** What it is about: `institution:<uuid>`, `return:<uuid>`, `share:<uuid>`, `node:<code>`. */
  subject: string;
  message: string;
}

export interface AccessLink {
  code: string;
  health: LinkHealth;
  lagSeconds: number | null;
  backlog: number | null;
}

export interface AccessStateData {
  period: { from: string; to: string };
  volumes: AccessVolume & {
    /** The institutions of this node with the most rows (then exchanges), at most ACCESS_LIST_MAX. */
    institutions: AccessInstitutionVolume[];
    /** The other nodes with the most rows (then exchanges), at most ACCESS_LIST_MAX. */
    counterparts: AccessCounterpartVolume[];
  };
  /** Requests, queries, deliveries and messages refused over the period. */
  refused: number;
  refusedByClass: { class: AccessRefusalClass; count: number }[];
  decisions: {
    /** Return and share requests decided over the period. */
    answered: number;
    /** Return and share requests still undecided past their deadline now. */
    overdue: number;
    /** Median hours from request to decision of those answered; null when none was. */
    medianHoursToDecide: number | null;
  };
  /** Grants in force that expire within the warning window. */
  grantsExpiringSoon: number;
  /** Refused or forged messages kept in rejected_message, refused sign-ins and 403 answers over the period. */
  securityEvents: number;
  securityEventsByKind: { rejectedMessages: number; refusedSignIns: number; forbidden: number };
  alerts: AccessAlert[];
  links: AccessLink[];
}

/** The bound of each list of a state. */
export const ACCESS_LIST_MAX = 20;
export const ACCESS_ALERTS_MAX = 50;
export const ACCESS_LINKS_MAX = 200;

const count = integer(0);

/** A finite number from 0 (hours, with a fraction). */
const nonNegative: Schema<number> = ((value: unknown, path: string) =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0 ? undefined : `${path} must be a number from 0`) as Schema<number>;

const volumeFields = { returns: count, shareQueries: count, shareDeliveries: count, rows: count };

export const accessStateData: Schema<AccessStateData> = object<AccessStateData>({
  period: refined(
    object<{ from: string; to: string }>({ from: timestamp, to: timestamp }),
    (p) => Date.parse(p.from) <= Date.parse(p.to),
    'from must not be after to',
  ),
  volumes: object<AccessStateData['volumes']>({
    ...volumeFields,
    institutions: array(object<AccessInstitutionVolume>({ institution: uuid, ...volumeFields }), ACCESS_LIST_MAX),
    counterparts: array(object<AccessCounterpartVolume>({ node: divisionCode, ...volumeFields }), ACCESS_LIST_MAX),
  }),
  refused: count,
  refusedByClass: array(object<{ class: AccessRefusalClass; count: number }>({ class: oneOf(ACCESS_REFUSAL_CLASSES), count }), ACCESS_REFUSAL_CLASSES.length),
  decisions: object<AccessStateData['decisions']>({ answered: count, overdue: count, medianHoursToDecide: nullable(nonNegative) }),
  grantsExpiringSoon: count,
  securityEvents: count,
  securityEventsByKind: object<AccessStateData['securityEventsByKind']>({ rejectedMessages: count, refusedSignIns: count, forbidden: count }),
  alerts: array(
    object<AccessAlert>({
      kind: oneOf(ACCESS_ALERT_KINDS),
      subject: text(1, 100, { test: /^(institution|return|share|node):[0-9A-Za-z-]{1,80}$/, means: 'institution:, return:, share: or node: and an id' }),
      message: text(1, 500),
    }),
    ACCESS_ALERTS_MAX,
  ),
  links: array(
    object<AccessLink>({ code: divisionCode, health: oneOf(LINK_HEALTH_STATES), lagSeconds: nullable(nonNegative), backlog: nullable(count) }),
    ACCESS_LINKS_MAX,
  ),
});
