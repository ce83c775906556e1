import {
  CLAUSE_OUTCOMES,
  CRYPTO_ASSESSMENT_RESULTS,
  DATA_ITEM_TYPES,
  ENTRY_TYPES,
  GRADES,
  NETWORK_KINDS,
  PROJECT_CLAUSES,
  PROJECT_STAGES,
  PROJECT_STATUSES,
  RESOURCE_USES,
  STAGE_DECISIONS,
  type ClauseDecision,
  type ProjectDeclaration,
  type ProjectReviewView,
  type ProjectStateData,
  type ProjectStateView,
  type ProjectView,
  type StageReview,
  type SynonymGroupView,
  type SynonymsView,
} from '@tdx/contracts';
import { PageViewOf, View } from '../../common/api-docs';

type Funds = ProjectDeclaration['funds'];
type System = ProjectDeclaration['systems'][number];
type Network = ProjectDeclaration['networks'][number];
type Item = ProjectDeclaration['dataItems'][number];
type Resource = ProjectDeclaration['resources'][number];
type Security = ProjectDeclaration['security'];

class FundsView implements Funds {
  @View.int({ description: 'yuan' })
  amountYuan!: number;
  @View.text()
  source!: string;
}

class SystemView implements System {
  @View.text()
  name!: string;
  @View.bool()
  outsidePlatform!: boolean;
  @View.textOrNull()
  consentRef!: string | null;
  @View.textOrNull()
  catalogEntry!: string | null;
}

class NetworkView implements Network {
  @View.text()
  name!: string;
  @View.oneOf(NETWORK_KINDS)
  kind!: Network['kind'];
  @View.textOrNull()
  consentRef!: string | null;
}

class PlannedItemView implements Item {
  @View.text()
  name!: string;
  @View.oneOf(DATA_ITEM_TYPES)
  type!: Item['type'];
  @View.bool()
  sensitive!: boolean;
}

class ResourceView implements Resource {
  @View.text()
  ref!: string;
  @View.oneOf(ENTRY_TYPES)
  type!: Resource['type'];
  @View.oneOf(RESOURCE_USES)
  use!: Resource['use'];
}

class SecurityView implements Security {
  @View.textOrNull()
  cryptoAssessmentRef!: string | null;
  @View.oneOf(CRYPTO_ASSESSMENT_RESULTS, { nullable: true })
  cryptoAssessmentResult!: Security['cryptoAssessmentResult'];
  @View.intOrNull()
  protectionLevel!: number | null;
  @View.textOrNull()
  filingNumber!: string | null;
  @View.textOrNull()
  managementPlanRef!: string | null;
}

class ClauseDecisionView implements ClauseDecision {
  @View.oneOf(PROJECT_CLAUSES)
  clause!: ClauseDecision['clause'];
  @View.oneOf(CLAUSE_OUTCOMES)
  outcome!: ClauseDecision['outcome'];
  @View.text({ description: 'the clause, the article and the evidence' })
  reason!: string;
}

class StageReviewView implements StageReview {
  @View.oneOf(PROJECT_STAGES)
  stage!: StageReview['stage'];
  @View.oneOf(STAGE_DECISIONS)
  decision!: StageReview['decision'];
  @View.time()
  decidedAt!: string;
  @View.text()
  decidedBy!: string;
  @View.int()
  declarationVersion!: number;
  @View.of([ClauseDecisionView])
  clauses!: ClauseDecision[];
}

export class ProjectReviewViewDto extends StageReviewView implements ProjectReviewView {
  @View.uuid()
  id!: string;
  @View.uuid()
  projectId!: string;
}

export class ProjectViewDto implements ProjectView {
  @View.uuid()
  id!: string;
  @View.text({ description: 'the node where it was declared' })
  origin!: string;
  @View.text()
  name!: string;
  @View.uuid()
  institutionId!: string;
  @View.text()
  institutionName!: string;
  @View.of(FundsView)
  funds!: Funds;
  @View.of([SystemView])
  systems!: System[];
  @View.of([NetworkView])
  networks!: Network[];
  @View.of([PlannedItemView])
  dataItems!: Item[];
  @View.oneOf(GRADES)
  dataGrade!: ProjectView['dataGrade'];
  @View.of([ResourceView])
  resources!: Resource[];
  @View.of(SecurityView)
  security!: Security;
  @View.oneOf(PROJECT_STATUSES)
  status!: ProjectView['status'];
  @View.int()
  declarationVersion!: number;
  @View.text()
  declaredBy!: string;
  @View.time()
  createdAt!: string;
  @View.time()
  updatedAt!: string;
  @View.of([ProjectReviewViewDto], { description: 'every review, oldest first; empty in a list' })
  reviews!: ProjectReviewView[];
}

export class ProjectPageDto extends PageViewOf(ProjectViewDto) {}

class ProjectStateDataView implements ProjectStateData {
  @View.uuid()
  projectId!: string;
  @View.uuid()
  institutionId!: string;
  @View.text()
  institutionName!: string;
  @View.text()
  name!: string;
  @View.of(FundsView)
  funds!: Funds;
  @View.oneOf(PROJECT_STATUSES)
  status!: ProjectStateData['status'];
  @View.int()
  declarationVersion!: number;
  @View.of([StageReviewView])
  stages!: StageReview[];
}

export class ProjectStateViewDto implements ProjectStateView {
  @View.text({ description: 'the node that reviewed it' })
  origin!: string;
  @View.text()
  key!: string;
  @View.int()
  version!: number;
  @View.time()
  computedAt!: string;
  @View.of(ProjectStateDataView)
  data!: ProjectStateData;
  @View.text({ description: 'the signed text of the state, as its node published it' })
  payload!: string;
  @View.text({ description: "the origin's Ed25519 signature over payload (base64)" })
  sig!: string;
}

export class ProjectStatePageDto extends PageViewOf(ProjectStateViewDto) {}

export class SynonymGroupViewDto implements SynonymGroupView {
  @View.uuid()
  id!: string;
  @View.texts()
  names!: string[];
}

export class SynonymsViewDto implements SynonymsView {
  @View.of([SynonymGroupViewDto])
  groups!: SynonymGroupView[];
}
