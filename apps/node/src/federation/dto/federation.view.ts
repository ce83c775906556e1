import {
  type ChildLinkView,
  FEDERATION_NODE_STATES,
  type FederationDigestView,
  type FederationStatusView,
  type HeartbeatSettingsView,
  LINK_HEALTH_STATES,
  type PendingJoinView,
  type KeyRotationView,
  type NodeInfoView,
  type OriginDigestView,
  type ParentLinkView,
  type ParkedMessageListView,
  type ParkedMessageView,
  type ParkedRereadView,
  type ProtocolStatusView,
} from '@tdx/contracts';
import { DIVISION_LEVELS } from '@tdx/divisions';
import { OmitType } from '@nestjs/swagger';
import { View } from '../../common/api-docs';
import { TrustListViewDto } from '../../identity/dto/node-identity.view';

export class ChildLinkViewDto implements ChildLinkView {
  @View.text()
  code!: string;

  @View.text()
  name!: string;

  @View.oneOf(DIVISION_LEVELS)
  level!: ChildLinkView['level'];

  @View.oneOf(FEDERATION_NODE_STATES, { description: 'pending: its join waits for an operator here' })
  status!: ChildLinkView['status'];

  @View.oneOf(LINK_HEALTH_STATES, { description: 'stale after 3 silent heartbeat intervals, down after 12 or never seen' })
  health!: ChildLinkView['health'];

  @View.timeOrNull({ description: 'its heartbeat, its join, or the stream storing its record' })
  lastSeenAt!: string | null;

  @View.numberOrNull()
  secondsSinceSeen!: number | null;

  @View.timeOrNull()
  lastHeartbeatAt!: string | null;

  @View.int({ description: "the interval the child last said it runs with, else this node's own" })
  heartbeatIntervalSeconds!: number;

  @View.intOrNull({ description: "the child's outbox backlog towards this node, as its last heartbeat reported it" })
  reportedOutboxBacklog!: number | null;

  @View.time({ description: 'for a pending child: its first join' })
  joinedAt!: string;

  @View.int()
  lastStreamSeq!: number;

  @View.textOrNull()
  lastOrigin!: string | null;

  @View.intOrNull()
  lastOriginSeq!: number | null;

  @View.timeOrNull()
  lastAppliedAt!: string | null;

  @View.numberOrNull({ description: "seconds from the origin's commit of the last applied record to its apply here" })
  lastLagSeconds!: number | null;

  @View.int()
  applied!: number;

  @View.int()
  skipped!: number;

  @View.int()
  rejected!: number;

  @View.intOrNull({ description: "records waiting in this node's stream for this link (null while NATS is unreachable)" })
  pending!: number | null;

  @View.textOrNull()
  lastError!: string | null;

  @View.timeOrNull()
  lastErrorAt!: string | null;
}

export class ParentLinkViewDto implements ParentLinkView {
  @View.text()
  code!: string;

  @View.textOrNull()
  name!: string | null;

  @View.bool()
  joined!: boolean;

  @View.timeOrNull()
  joinedAt!: string | null;

  @View.int({ description: 'records of this node waiting to be published upward' })
  outboxBacklog!: number;

  @View.timeOrNull()
  oldestQueuedAt!: string | null;

  @View.int()
  lastPublishedSeq!: number;

  @View.timeOrNull()
  lastPublishedAt!: string | null;

  @View.int()
  published!: number;

  @View.textOrNull()
  lastError!: string | null;

  @View.timeOrNull()
  lastErrorAt!: string | null;
}

type TrustSummary = FederationStatusView['trustList'];

/** The trust list as the status shows it: the list's own fields, its nodes counted. */
class TrustSummaryViewDto extends OmitType(TrustListViewDto, ['nodes'] as const) implements TrustSummary {
  @View.int({ description: 'nodes the list names' })
  nodes!: number;
}

class PendingJoinViewDto implements PendingJoinView {
  @View.text()
  code!: string;

  @View.text()
  name!: string;

  @View.text()
  publicKey!: string;

  @View.text()
  fingerprint!: string;

  @View.text({ description: "the node that holds the join (the joining node's parent)" })
  waitsAt!: string;

  @View.timeOrNull()
  firstSeen!: string | null;

  @View.timeOrNull()
  lastSeen!: string | null;

  @View.int()
  attempts!: number;

  @View.textOrNull({ description: 'the child whose heartbeat reported it; null for a join waiting here' })
  reportedVia!: string | null;

  @View.timeOrNull()
  reportedAt!: string | null;
}

class HeartbeatSettingsViewDto implements HeartbeatSettingsView {
  @View.int()
  intervalSeconds!: number;

  @View.int()
  staleAfterIntervals!: number;

  @View.int()
  downAfterIntervals!: number;
}

class ProtocolStatusViewDto implements ProtocolStatusView {
  @View.int({ description: 'the protocol version this node writes' })
  version!: number;

  @View.int({ description: 'the oldest protocol version this node still reads' })
  oldestSupported!: number;

  @View.int({ description: 'signed records this node cannot read yet, kept to be read after an upgrade' })
  parked!: number;

  @View.timeOrNull()
  oldestParkedAt!: string | null;
}

class ParkedMessageViewDto implements ParkedMessageView {
  @View.text()
  id!: string;

  @View.text({ description: 'the child link it came through' })
  sender!: string;

  @View.text()
  origin!: string;

  @View.int()
  protocolVersion!: number;

  @View.text()
  kind!: string;

  @View.text()
  reason!: string;

  @View.text()
  payloadSha256!: string;

  @View.int()
  payloadBytes!: number;

  @View.int({ description: 'the newest protocol version this node read when it parked the record' })
  parkedUnderVersion!: number;

  @View.time()
  parkedAt!: string;

  @View.int({ description: 'times read again since, without success' })
  attempts!: number;

  @View.timeOrNull()
  lastAttemptAt!: string | null;
}

export class ParkedMessageListViewDto implements ParkedMessageListView {
  @View.of(ProtocolStatusViewDto)
  protocol!: ProtocolStatusView;

  @View.of([ParkedMessageViewDto], { description: 'the newest first' })
  items!: ParkedMessageView[];
}

export class ParkedRereadViewDto implements ParkedRereadView {
  @View.int({ description: 'parked records settled now: applied, skipped as stale, or refused (then in rejected_message)' })
  released!: number;

  @View.int({ description: 'records still parked: still unreadable, or waiting for a key' })
  kept!: number;
}

export class FederationStatusViewDto implements FederationStatusView {
  @View.text()
  node!: string;

  @View.of(ProtocolStatusViewDto)
  protocol!: ProtocolStatusView;

  @View.of(HeartbeatSettingsViewDto)
  heartbeat!: HeartbeatSettingsView;

  @View.of(ParentLinkViewDto, { nullable: true, description: 'null at the province' })
  parent!: ParentLinkView | null;

  @View.of([ChildLinkViewDto])
  children!: ChildLinkView[];

  @View.of([PendingJoinViewDto], { description: 'joins waiting for an operator here or anywhere below' })
  pendingJoins!: PendingJoinView[];

  @View.of(TrustSummaryViewDto)
  trustList!: TrustSummary;
}

class OriginDigestViewDto implements OriginDigestView {
  @View.text()
  origin!: string;

  @View.int()
  count!: number;

  @View.int()
  active!: number;

  @View.int()
  versionSum!: number;

  @View.text()
  digest!: string;
}

export class FederationDigestViewDto implements FederationDigestView {
  @View.text()
  node!: string;

  @View.of([OriginDigestViewDto])
  origins!: OriginDigestView[];
}

export class KeyRotationViewDto implements KeyRotationView {
  @View.oneOf(['announced'])
  state!: 'announced';

  @View.text()
  publicKey!: string;

  @View.text()
  previousPublicKey!: string;
}

type NodeParent = NonNullable<NodeInfoView['parent']>;

class NodeParentViewDto implements NodeParent {
  @View.text()
  code!: string;

  @View.textOrNull()
  name!: string | null;

  @View.of(ParentLinkViewDto, { nullable: true })
  link!: ParentLinkView | null;
}

export class NodeInfoViewDto implements NodeInfoView {
  @View.text()
  code!: string;

  @View.text()
  name!: string;

  @View.oneOf(DIVISION_LEVELS)
  level!: NodeInfoView['level'];

  @View.text({ description: 'Ed25519, base64url of the raw 32 bytes' })
  publicKey!: string;

  @View.of(NodeParentViewDto, { nullable: true, description: 'null at the province' })
  parent!: NodeParent | null;

  @View.of([ChildLinkViewDto])
  children!: ChildLinkView[];
}
