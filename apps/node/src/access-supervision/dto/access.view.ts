import {
  ACCESS_ALERT_KINDS,
  ACCESS_REFUSAL_CLASSES,
  LINK_HEALTH_STATES,
  type AccessAlert,
  type AccessAlertKind,
  type AccessAlertListView,
  type AccessAlertView,
  type AccessCounterpartVolume,
  type AccessInstitutionVolume,
  type AccessLink,
  type AccessNodeFiguresView,
  type AccessRefusalClass,
  type AccessRollupView,
  type AccessRunView,
  type AccessStateData,
  type AccessTotalsView,
  type LinkHealth,
} from '@tdx/contracts';
import { View } from '../../common/api-docs';

class PeriodDto {
  @View.time()
  from!: string;

  @View.time()
  to!: string;
}

class InstitutionVolumeDto implements AccessInstitutionVolume {
  @View.uuid()
  institution!: string;
  @View.int()
  returns!: number;
  @View.int()
  shareQueries!: number;
  @View.int()
  shareDeliveries!: number;
  @View.int()
  rows!: number;
}

class CounterpartVolumeDto implements AccessCounterpartVolume {
  @View.text({ example: '330100' })
  node!: string;
  @View.int()
  returns!: number;
  @View.int()
  shareQueries!: number;
  @View.int()
  shareDeliveries!: number;
  @View.int()
  rows!: number;
}

class VolumesDto {
  @View.int({ description: 'return requests received' })
  returns!: number;
  @View.int()
  shareQueries!: number;
  @View.int()
  shareDeliveries!: number;
  @View.int({ description: 'rows that crossed (returns sent and received, share queries and deliveries)' })
  rows!: number;
  @View.of([InstitutionVolumeDto], { description: 'the 20 biggest institutions of this node' })
  institutions!: InstitutionVolumeDto[];
  @View.of([CounterpartVolumeDto], { description: 'the 20 biggest other nodes' })
  counterparts!: CounterpartVolumeDto[];
}

class RefusedByClassDto {
  @View.oneOf(ACCESS_REFUSAL_CLASSES)
  class!: AccessRefusalClass;
  @View.int()
  count!: number;
}

class DecisionsDto {
  @View.int()
  answered!: number;
  @View.int()
  overdue!: number;
  @View.numberOrNull()
  medianHoursToDecide!: number | null;
}

class SecurityEventsDto {
  @View.int()
  rejectedMessages!: number;
  @View.int()
  refusedSignIns!: number;
  @View.int()
  forbidden!: number;
}

export class AccessAlertDto implements AccessAlert {
  @View.oneOf(ACCESS_ALERT_KINDS)
  kind!: AccessAlertKind;
  @View.text({ example: 'institution:8a1e4c1e-0f0e-4a5b-9a53-2f3c4d5e6f70' })
  subject!: string;
  @View.text()
  message!: string;
}

class AccessLinkDto implements AccessLink {
  @View.text()
  code!: string;
  @View.oneOf(LINK_HEALTH_STATES)
  health!: LinkHealth;
  @View.numberOrNull()
  lagSeconds!: number | null;
  @View.intOrNull()
  backlog!: number | null;
}

export class AccessStateDataDto implements AccessStateData {
  @View.of(PeriodDto)
  period!: PeriodDto;
  @View.of(VolumesDto)
  volumes!: VolumesDto;
  @View.int()
  refused!: number;
  @View.of([RefusedByClassDto])
  refusedByClass!: RefusedByClassDto[];
  @View.of(DecisionsDto)
  decisions!: DecisionsDto;
  @View.int()
  grantsExpiringSoon!: number;
  @View.int()
  securityEvents!: number;
  @View.of(SecurityEventsDto)
  securityEventsByKind!: SecurityEventsDto;
  @View.of([AccessAlertDto])
  alerts!: AccessAlertDto[];
  @View.of([AccessLinkDto])
  links!: AccessLinkDto[];
}

class AccessNodeFiguresDto implements AccessNodeFiguresView {
  @View.text()
  origin!: string;
  @View.int()
  version!: number;
  @View.time()
  computedAt!: string;
  @View.of(AccessStateDataDto)
  data!: AccessStateDataDto;
}

class AccessTotalsDto implements AccessTotalsView {
  @View.int()
  nodes!: number;
  @View.int()
  returns!: number;
  @View.int()
  shareQueries!: number;
  @View.int()
  shareDeliveries!: number;
  @View.int()
  rows!: number;
  @View.int()
  refused!: number;
  @View.int()
  answered!: number;
  @View.int()
  overdue!: number;
  @View.int()
  grantsExpiringSoon!: number;
  @View.int()
  securityEvents!: number;
  @View.int()
  alerts!: number;
}

export class AccessRollupViewDto implements AccessRollupView {
  @View.text()
  node!: string;
  @View.text()
  within!: string;
  @View.of(AccessNodeFiguresDto, { nullable: true, description: "null until this node's first run" })
  own!: AccessNodeFiguresDto | null;
  @View.of([AccessNodeFiguresDto])
  nodes!: AccessNodeFiguresDto[];
  @View.of(AccessTotalsDto)
  totals!: AccessTotalsDto;
}

class AccessAlertViewDto extends AccessAlertDto implements AccessAlertView {
  @View.text()
  origin!: string;
  @View.time()
  computedAt!: string;
}

export class AccessAlertListViewDto implements AccessAlertListView {
  @View.text()
  within!: string;
  @View.of([AccessAlertViewDto])
  items!: AccessAlertViewDto[];
}

export class AccessRunViewDto implements AccessRunView {
  @View.oneOf(['published', 'unchanged'])
  outcome!: 'published' | 'unchanged';
  @View.int()
  version!: number;
  @View.of(AccessStateDataDto)
  data!: AccessStateDataDto;
}
