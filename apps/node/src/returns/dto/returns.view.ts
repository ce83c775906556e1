import {
  DATA_ITEM_TYPES,
  GRADES,
  RETURN_JOB_KINDS,
  RETURN_JOB_STATES,
  RETURN_SCOPES,
  RETURN_STATES,
  type ReturnedRowView,
  type ReturnEntrySummary,
  type ReturnHistoryEvent,
  type ReturnJobView,
  type ReturnRequestState,
  type ReturnRequestView,
  SHARE_TYPES,
  UPDATE_CYCLES,
} from '@tdx/contracts';
import { OmitType } from '@nestjs/swagger';
import { PageViewOf, View } from '../../common/api-docs';

class ReturnHistoryEventDto implements ReturnHistoryEvent {
  @View.time()
  at!: string;

  @View.oneOf([...RETURN_STATES, 'transfer'])
  state!: ReturnHistoryEvent['state'];

  @View.text({ description: 'the node (division code) that made the event' })
  by!: string;

  @View.textOrNull()
  note!: string | null;
}

type ReturnDataItem = ReturnEntrySummary['dataItems'][number];

class ReturnDataItemDto implements ReturnDataItem {
  @View.text()
  name!: string;

  @View.oneOf(DATA_ITEM_TYPES)
  type!: ReturnDataItem['type'];

  @View.bool()
  sensitive!: boolean;
}

class ReturnEntrySummaryDto implements ReturnEntrySummary {
  @View.text()
  name!: string;

  @View.oneOf(GRADES)
  grade!: ReturnEntrySummary['grade'];

  @View.oneOf(SHARE_TYPES)
  shareType!: ReturnEntrySummary['shareType'];

  @View.oneOf(UPDATE_CYCLES)
  updateCycle!: ReturnEntrySummary['updateCycle'];

  @View.of([ReturnDataItemDto])
  dataItems!: ReturnDataItem[];
}

export class ReturnRequestViewDto implements ReturnRequestView {
  @View.uuid()
  id!: string;

  @View.oneOf(['outgoing', 'incoming'], { description: 'outgoing at the requester, incoming at the holder' })
  direction!: ReturnRequestView['direction'];

  @View.uuid()
  entryId!: string;

  @View.text({ description: 'division code of the node holding the entry' })
  holder!: string;

  @View.text({ description: 'division code of the node asking for its rows' })
  requester!: string;

  @View.oneOf(RETURN_SCOPES)
  scope!: ReturnRequestView['scope'];

  @View.text()
  purpose!: string;

  @View.oneOf(RETURN_STATES)
  state!: ReturnRequestView['state'];

  @View.textOrNull()
  reason!: string | null;

  @View.of([ReturnHistoryEventDto])
  history!: ReturnHistoryEvent[];

  @View.of(ReturnEntrySummaryDto)
  entry!: ReturnEntrySummary;

  @View.time()
  createdAt!: string;

  @View.time()
  updatedAt!: string;

  @View.timeOrNull({ description: 'at the receiver: when it last asked the holder for changes' })
  lastCheckedAt!: string | null;

  @View.timeOrNull({ description: 'at the receiver: when a job last finished' })
  lastSyncAt!: string | null;
}

export class ReturnRequestPageDto extends PageViewOf(ReturnRequestViewDto) {}

/** A request as the province holds it, shown read-only to the city above its requester (no end's own bookkeeping). */
export class ReturnRequestStateDto
  extends OmitType(ReturnRequestViewDto, ['direction', 'lastCheckedAt', 'lastSyncAt'] as const)
  implements ReturnRequestState {}

export class ReturnRequestStatePageDto extends PageViewOf(ReturnRequestStateDto) {}

export class ReturnJobViewDto implements ReturnJobView {
  @View.uuid()
  id!: string;

  @View.uuid()
  requestId!: string;

  @View.oneOf(RETURN_JOB_KINDS)
  kind!: ReturnJobView['kind'];

  @View.oneOf(RETURN_JOB_STATES)
  state!: ReturnJobView['state'];

  @View.int()
  rowsDone!: number;

  @View.intOrNull()
  rowsTotal!: number | null;

  @View.int()
  upserts!: number;

  @View.int()
  deletes!: number;

  @View.numberOrNull()
  ratePerSec!: number | null;

  @View.numberOrNull()
  etaSeconds!: number | null;

  @View.textOrNull()
  lastError!: string | null;

  @View.int({ description: 'failed attempts in a row; each waits twice as long as the one before, up to a cap' })
  attempts!: number;

  @View.timeOrNull()
  nextAttemptAt!: string | null;

  @View.time()
  createdAt!: string;

  @View.timeOrNull()
  startedAt!: string | null;

  @View.timeOrNull()
  finishedAt!: string | null;
}

export class ReturnJobPageDto extends PageViewOf(ReturnJobViewDto) {}

export class ReturnedRowViewDto implements ReturnedRowView {
  @View.text()
  rowKey!: string;

  @View.text()
  regionCode!: string;

  @View.int({ description: "the holder's change sequence of the row" })
  sourceSeq!: number;

  @View.json({ description: 'masked as the holder sent it; only the asked columns when some were named' })
  data!: Record<string, unknown>;
}

export class ReturnedRowPageDto extends PageViewOf(ReturnedRowViewDto) {}
