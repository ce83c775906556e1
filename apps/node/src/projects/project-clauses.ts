import {
  CLAUSE_REASON_MAX,
  type ClauseDecision,
  type EntryType,
  type ProjectClause,
  type ProjectDeclaration,
  type ProjectStage,
  type StageDecision,
} from '@tdx/contracts';
import type { MatchKind, PlannedItems } from './item-matcher';

/**
 * Article 12's five cases as pure rules: what a review finds (the catalog entries, the sharing
 * record) goes in, one decision per clause comes out, each reason naming the clause, the article
 * and the evidence. docs/projects.md states each rule.
 */

/** The article's wording of each case, quoted in every reason. */
export const CLAUSE_TEXT: Record<ProjectClause, string> = {
  a: "Article 12 (a): building a business private network, or building, expanding or rebuilding an independent data platform, without the consent of the department designated by the people's government at or above the county level",
  b: 'Article 12 (b): developing, upgrading or transforming an application system outside the public data platform without the consent of the designated department',
  c: 'Article 12 (c): resources not managed in the integrated digital resource system as required',
  d: 'Article 12 (d): not sharing or opening data as required, or collecting data again',
  e: 'Article 12 (e): not meeting the requirements of cryptography application and security management',
};

/** A catalog entry as a review sees it. */
export interface HeldEntry {
  id: string;
  code: string;
  name: string;
  type: EntryType;
  status: 'active' | 'retired';
  origin: string;
  providerId: string;
  dataItems: { name: string }[];
}

/** The institution's sharing and opening record at this node (Article 12 (d)). */
export interface SharingRecord {
  /** Its active data entries at this node. */
  dataEntries: number;
  /** Of those, with share type `none`. */
  notShared: number;
  /** Share requests for its entries still undecided after their deadline. */
  overdueRequests: number;
}

/** More than this share of an institution's data entries closed to sharing fails (d): sharing is the rule, `none` the exception. */
export const MAX_NOT_SHARED_RATIO = 0.5;

export interface ReviewFacts {
  stage: ProjectStage;
  declaration: ProjectDeclaration;
  /** Each declared resource ref (and each system's catalogEntry) -> the entries this node holds under that id or code. */
  entriesByRef: Map<string, HeldEntry[]>;
  /** Planned items found in the catalog (duplicateItems over every page of data entries held here). */
  duplicates: DuplicateFinding[];
  /** How many active data entries were compared. */
  dataEntriesCompared: number;
  sharing: SharingRecord;
}

export interface ReviewOutcome {
  decision: StageDecision;
  clauses: ClauseDecision[];
}

export function reviewProject(f: ReviewFacts): ReviewOutcome {
  const clauses: ClauseDecision[] = [clauseA(f), clauseB(f), clauseC(f), clauseD(f), clauseE(f)];
  return { decision: clauses.every((c) => c.outcome === 'pass') ? 'approve' : 'refuse', clauses };
}

function decided(clause: ProjectClause, failures: string[], passed: string): ClauseDecision {
  const outcome = failures.length > 0 ? 'fail' : 'pass';
  const body = failures.length > 0 ? failures.join('; ') : passed;
  return { clause, outcome, reason: bounded(`${outcome === 'fail' ? 'fails' : 'passes'} ${CLAUSE_TEXT[clause]}: ${body}`) };
}

/** A reason within CLAUSE_REASON_MAX characters, cut with an ellipsis: the state carrying it must stay small. */
function bounded(text: string): string {
  return text.length <= CLAUSE_REASON_MAX ? text : `${text.slice(0, CLAUSE_REASON_MAX - 1)}…`;
}

/** Up to `max` items named, then how many more. */
function listed(items: string[], max = 5): string {
  return items.length <= max ? items.join(', ') : `${items.slice(0, max).join(', ')} and ${items.length - max} more`;
}

function clauseA({ declaration }: ReviewFacts): ClauseDecision {
  const built = declaration.networks.filter((n) => n.kind !== 'other');
  const without = built.filter((n) => n.consentRef === null);
  return decided(
    'a',
    without.map((n) => `${n.kind === 'private-network' ? 'private network' : 'independent platform'} "${n.name}" has no consent reference`),
    built.length === 0 ? 'builds no private network or independent platform' : `consent given for ${listed(built.map((n) => `"${n.name}" (${n.consentRef})`))}`,
  );
}

function clauseB({ declaration }: ReviewFacts): ClauseDecision {
  const outside = declaration.systems.filter((s) => s.outsidePlatform);
  const without = outside.filter((s) => s.consentRef === null);
  return decided(
    'b',
    without.map((s) => `system "${s.name}" outside the public data platform has no consent reference`),
    outside.length === 0
      ? 'every system is built on the public data platform'
      : `consent given for ${listed(outside.map((s) => `"${s.name}" (${s.consentRef})`))}`,
  );
}

/**
 * (c): every declared resource is registered in this node's catalog (its own or its subtree's
 * entries), active and of the declared type; a project that names none registers nothing in the
 * integrated system. From acceptance on, each system built is an application entry of the catalog.
 */
function clauseC({ stage, declaration, entriesByRef }: ReviewFacts): ClauseDecision {
  const failures: string[] = [];
  const found: string[] = [];
  for (const resource of declaration.resources) {
    const held = entriesByRef.get(resource.ref) ?? [];
    const usable = held.filter((e) => e.status === 'active' && e.type === resource.type);
    if (usable.length > 0) found.push(`${resource.type} ${usable[0].code} (${usable[0].id}, origin ${usable[0].origin})`);
    else if (held.length === 0) failures.push(`${resource.type} resource "${resource.ref}" is not registered in the catalog held here`);
    else if (held.every((e) => e.status !== 'active')) failures.push(`${resource.type} resource "${resource.ref}" is retired`);
    else failures.push(`resource "${resource.ref}" is registered as ${held[0].type}, not ${resource.type}`);
  }
  if (declaration.resources.length === 0)
    failures.push('the project declares no catalog resource (applications, components, compute, data): it registers nothing in the integrated system');
  else if (found.length === 0) failures.push('none of its declared resources is registered: it registers nothing in the integrated system');
  if (stage !== 'approval') {
    for (const system of declaration.systems) {
      const entries = system.catalogEntry === null ? [] : (entriesByRef.get(system.catalogEntry) ?? []);
      const app = entries.find((e) => e.type === 'application' && e.status === 'active');
      if (app) found.push(`system "${system.name}" is application ${app.code}`);
      else
        failures.push(
          `system "${system.name}" built is not an active application entry of the catalog${system.catalogEntry === null ? ' (no catalog entry declared)' : ` ("${system.catalogEntry}")`}`,
        );
    }
  }
  return decided('c', failures, `registered: ${listed(found)}`);
}

export interface DuplicateFinding {
  planned: string;
  existing: string;
  kind: MatchKind;
  entry: HeldEntry;
}

/** Each planned item matched against every data item of `dataEntries`, except the entries the project itself produces. */
export function duplicateItems(f: {
  declaration: ProjectDeclaration;
  dataEntries: HeldEntry[];
  planned: PlannedItems;
  entriesByRef: Map<string, HeldEntry[]>;
}): DuplicateFinding[] {
  const own = new Set(f.declaration.resources.filter((r) => r.use === 'produce').flatMap((r) => (f.entriesByRef.get(r.ref) ?? []).map((e) => e.id)));
  const findings: DuplicateFinding[] = [];
  for (const entry of f.dataEntries) {
    if (own.has(entry.id)) continue;
    for (const item of entry.dataItems) {
      for (const { index, match } of f.planned.matches(item.name)) {
        findings.push({ planned: f.planned.names[index], existing: item.name, kind: match.kind, entry });
      }
    }
  }
  return findings;
}

function clauseD(f: ReviewFacts): ClauseDecision {
  const failures: string[] = [];
  const duplicates = f.duplicates;
  if (duplicates.length > 0) {
    const byEntry = new Map<string, DuplicateFinding[]>();
    for (const d of duplicates) byEntry.set(d.entry.id, [...(byEntry.get(d.entry.id) ?? []), d]);
    const named = [...byEntry.values()].map(
      (ds) =>
        `entry ${ds[0].entry.id} ${ds[0].entry.code} "${ds[0].entry.name}" (provider ${ds[0].entry.providerId}, origin ${ds[0].entry.origin}) already holds ${listed(
          ds.map((d) => `${d.planned} ~ ${d.existing} (${d.kind})`),
          4,
        )}`,
    );
    failures.push(`collects data again: ${listed(named, 3)}`);
  }
  const { dataEntries, notShared, overdueRequests } = f.sharing;
  if (overdueRequests > 0) failures.push(`the institution has ${overdueRequests} share request(s) undecided after their deadline`);
  if (dataEntries > 0 && notShared / dataEntries > MAX_NOT_SHARED_RATIO) {
    failures.push(`${notShared} of the institution's ${dataEntries} data entries are not shared (share type none), more than ${MAX_NOT_SHARED_RATIO * 100}%`);
  }
  return decided(
    'd',
    failures,
    `none of its ${f.declaration.dataItems.length} planned data items is held in the ${f.dataEntriesCompared} data entries here; the institution shares ${dataEntries - notShared} of ${dataEntries} data entries and has no overdue share request`,
  );
}

/** A document reference: at least 6 characters, with a digit (a number of the document). */
const DOCUMENT_REF = /^(?=.*\d).{6,}$/u;
/** A graded protection filing (等级保护备案) number: 11 digits, a hyphen, 5 digits (e.g. 33010043002-23001). */
const FILING_NUMBER = /^\d{11}-\d{5}$/;

/** The protection level the project needs: 3 for sensitive items or data graded L3/L4, else 2. */
export function requiredProtectionLevel(declaration: ProjectDeclaration): number {
  return declaration.dataItems.some((i) => i.sensitive) || declaration.dataGrade === 'L3' || declaration.dataGrade === 'L4' ? 3 : 2;
}

function clauseE({ declaration }: ReviewFacts): ClauseDecision {
  const s = declaration.security;
  const failures: string[] = [];
  const required = requiredProtectionLevel(declaration);
  if (s.cryptoAssessmentRef === null) failures.push('no 商用密码应用安全性评估 (cryptography assessment) report');
  else if (!DOCUMENT_REF.test(s.cryptoAssessmentRef.trim())) failures.push('the cryptography assessment report reference is not a document number');
  if (s.cryptoAssessmentRef !== null && s.cryptoAssessmentResult === null) failures.push('the cryptography assessment has no result');
  if (s.cryptoAssessmentResult === 'fail') failures.push('the cryptography assessment failed');
  if (s.protectionLevel === null) failures.push(`no 等级保护 (graded protection) level; level ${required} is required`);
  else if (s.protectionLevel < required) failures.push(`graded protection level ${s.protectionLevel} is below the required level ${required}`);
  if (s.filingNumber === null) failures.push('no graded protection filing number');
  else if (!FILING_NUMBER.test(s.filingNumber)) failures.push('the graded protection filing number is not 11 digits, a hyphen and 5 digits');
  if (s.managementPlanRef === null) failures.push('no security management plan');
  else if (!DOCUMENT_REF.test(s.managementPlanRef.trim())) failures.push('the security management plan reference is not a document number');
  return decided(
    'e',
    failures,
    `cryptography assessment ${s.cryptoAssessmentRef} (${s.cryptoAssessmentResult}), graded protection level ${s.protectionLevel} (at least ${required} required) filed as ${s.filingNumber}, security management plan ${s.managementPlanRef}`,
  );
}
