import type { DataItemType, EntryType, Grade } from '../vocabulary';
import type { ProjectStateData, ProjectStatus, StageReview } from '../supervision/project';

export const NETWORK_KINDS = ['independent-platform', 'private-network', 'other'] as const;
export type NetworkKind = (typeof NETWORK_KINDS)[number];

/** How a project takes part in a resource: uses one that exists, or produces it (and registers it). */
export const RESOURCE_USES = ['use', 'produce'] as const;
export type ResourceUse = (typeof RESOURCE_USES)[number];

export const CRYPTO_ASSESSMENT_RESULTS = ['pass', 'basic-pass', 'fail'] as const;
export type CryptoAssessmentResult = (typeof CRYPTO_ASSESSMENT_RESULTS)[number];

/** What an institution declares of a digital project funded by the province's fiscal funds (Article 12). */
export interface ProjectDeclaration {
  name: string;
  institutionId: string;
  funds: { amountYuan: number; source: string };
  /** Application systems it builds or changes; one outside the public data platform needs the designated department's consent. */
  systems: { name: string; outsidePlatform: boolean; consentRef: string | null; catalogEntry: string | null }[];
  /** Networks and platforms it builds; a private network or independent platform needs consent. */
  networks: { name: string; kind: NetworkKind; consentRef: string | null }[];
  /** The data items it plans to collect. */
  dataItems: { name: string; type: DataItemType; sensitive: boolean }[];
  /** The highest sensitivity grade of the data it handles (DB33/T 2351). */
  dataGrade: Grade;
  /** Catalog resources it uses or produces: an entry's id or resource code, and its type. */
  resources: { ref: string; type: EntryType; use: ResourceUse }[];
  /** Cryptography (商用密码应用安全性评估) and security (等级保护) evidence. */
  security: {
    cryptoAssessmentRef: string | null;
    cryptoAssessmentResult: CryptoAssessmentResult | null;
    protectionLevel: number | null;
    filingNumber: string | null;
    managementPlanRef: string | null;
  };
}

/** One review of a stage, as recorded. */
export interface ProjectReviewView extends StageReview {
  id: string;
  projectId: string;
}

/** A project at the node where it was declared, its declaration and where its review stands. */
export interface ProjectView extends ProjectDeclaration {
  id: string;
  origin: string;
  institutionName: string;
  status: ProjectStatus;
  declarationVersion: number;
  declaredBy: string;
  createdAt: string;
  updatedAt: string;
  /** Every review, oldest first (GET of one project); empty in a list. */
  reviews: ProjectReviewView[];
}

/** A group of data item names that mean the same thing, for the duplicate-collection check. */
export interface SynonymGroupView {
  id: string;
  names: string[];
}

export interface SynonymsView {
  groups: SynonymGroupView[];
}

/** A project's review state as its node published it, signed: any holder can verify `payload` with the origin's key. */
export interface ProjectStateView {
  origin: string;
  key: string;
  version: number;
  computedAt: string;
  data: ProjectStateData;
  payload: string;
  sig: string;
}
