import {
  DATA_ITEM_TYPES,
  GRADES,
  SHARE_SIDES,
  SHARE_STATES,
  SHARE_TYPES,
  type ShareEntrySummary,
  type SharedRow,
  type ShareHistoryEvent,
  type ShareRowsView,
  type ShareDeliveryView,
  type ShareView,
} from '@tdx/contracts';
import { PageViewOf, View } from '../../common/api-docs';

class ShareHistoryEventDto implements ShareHistoryEvent {
  @View.time()
  at!: string;

  @View.oneOf(SHARE_STATES)
  state!: ShareHistoryEvent['state'];

  @View.text({ description: 'the node (division code) where it happened' })
  by!: string;

  @View.text({ description: 'who: user:<name> at that node, or node:<code>' })
  actor!: string;

  @View.textOrNull({ description: 'purpose, reason or rule' })
  note!: string | null;
}

type ShareDataItem = ShareEntrySummary['dataItems'][number];

class ShareDataItemDto implements ShareDataItem {
  @View.text()
  name!: string;

  @View.oneOf(DATA_ITEM_TYPES)
  type!: ShareDataItem['type'];

  @View.bool()
  sensitive!: boolean;
}

class ShareEntrySummaryDto implements ShareEntrySummary {
  @View.text()
  name!: string;

  @View.text()
  code!: string;

  @View.oneOf(GRADES)
  grade!: ShareEntrySummary['grade'];

  @View.oneOf(SHARE_TYPES)
  shareType!: ShareEntrySummary['shareType'];

  @View.uuid({ description: 'the providing institution' })
  providerId!: string;

  @View.of([ShareDataItemDto])
  dataItems!: ShareDataItem[];
}

export class ShareViewDto implements ShareView {
  @View.uuid()
  id!: string;

  @View.oneOf(SHARE_SIDES, { description: "consumer at the node that asked, provider at the entry's origin" })
  side!: ShareView['side'];

  @View.uuid()
  entryId!: string;

  @View.text({ description: "the provider's node (the entry's origin)" })
  provider!: string;

  @View.text({ description: "the consumer's node" })
  consumer!: string;

  @View.textOrNull({ description: 'the requesting institution (UUID at the consumer)' })
  consumerInstitution!: string | null;

  @View.texts({ description: 'granted data items' })
  items!: string[];

  @View.texts({ description: 'division codes within which rows are served' })
  regions!: string[];

  @View.text()
  purpose!: string;

  @View.time()
  expiresAt!: string;

  @View.oneOf(SHARE_STATES)
  state!: ShareView['state'];

  @View.textOrNull()
  reason!: string | null;

  @View.textOrNull({ description: 'the rule that refused it' })
  rule!: string | null;

  @View.timeOrNull({ description: 'when a decision is due, in working days by share type' })
  deadline!: string | null;

  @View.bool({ description: 'undecided after its deadline' })
  overdue!: boolean;

  @View.of([ShareHistoryEventDto])
  history!: ShareHistoryEvent[];

  @View.of(ShareEntrySummaryDto)
  entry!: ShareEntrySummary;

  @View.time()
  createdAt!: string;

  @View.time()
  updatedAt!: string;
}

export class SharePageDto extends PageViewOf(ShareViewDto) {}

class SharedRowDto implements SharedRow {
  @View.text()
  rowKey!: string;

  @View.text()
  regionCode!: string;

  @View.json({ description: 'the fields asked, masked by grade as the provider serves them' })
  data!: Record<string, unknown>;
}

export class ShareRowsViewDto implements ShareRowsView {
  @View.uuid()
  id!: string;

  @View.texts()
  fields!: string[];

  @View.texts({ description: 'the regions whose rows were read' })
  regions!: string[];

  @View.of([SharedRowDto])
  items!: SharedRow[];

  @View.textOrNull({ description: 'passed back as cursor for the next page; null on the last' })
  nextCursor!: string | null;
}

export class ShareDeliveryViewDto implements ShareDeliveryView {
  @View.uuid()
  id!: string;

  @View.uuid({ description: 'the share (grant) delivered' })
  shareId!: string;

  @View.text({ description: "the provider's node" })
  provider!: string;

  @View.oneOf(['full', 'incremental'], { description: 'full the first time, then only the changes since the last delivery done (deletions included)' })
  kind!: ShareDeliveryView['kind'];

  @View.oneOf(['running', 'done', 'refused'], { description: 'refused: the provider refused a chunk (grant revoked or expired, entry retired); see rule' })
  state!: ShareDeliveryView['state'];

  @View.int({ description: "the provider's change sequence up to which every chunk is committed here" })
  afterSeq!: number;

  @View.int()
  chunks!: number;

  @View.int({ description: 'rows received (live rows and deletions)' })
  rowsDone!: number;

  @View.int()
  upserts!: number;

  @View.int()
  deletes!: number;

  @View.textOrNull({ description: 'the rule that refused it' })
  rule!: string | null;

  @View.textOrNull({ description: 'the refusal, or the last failed attempt (retried)' })
  lastError!: string | null;

  @View.int({ description: 'failed attempts (the provider unreachable, a chunk that did not verify), each retried' })
  attempts!: number;

  @View.text({ description: 'who asked for it' })
  actor!: string;

  @View.time()
  createdAt!: string;

  @View.timeOrNull()
  finishedAt!: string | null;
}

export class DeliveredRowsPageDto extends PageViewOf(SharedRowDto) {}
