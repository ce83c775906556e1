import type { Schemas } from '../../api/client';

export type EntryView = Schemas['CatalogEntryViewDto'];
export type CreateEntry = Schemas['CreateEntryDto'];
export type UpdateEntry = Schemas['UpdateEntryDto'];
export type DataItem = Schemas['DataItemDto'];

export const ENTRY_TYPES = ['data', 'application', 'component', 'compute'] as const;
export const GRADES = ['L1', 'L2', 'L3', 'L4'] as const;
export const SHARE_TYPES = ['unconditional', 'conditional', 'none'] as const;
export const OPEN_TYPES = ['unconditional', 'restricted', 'prohibited'] as const;
export const UPDATE_CYCLES = ['realtime', 'daily', 'weekly', 'monthly', 'quarterly', 'yearly', 'irregular'] as const;
export const ITEM_TYPES = ['string', 'integer', 'decimal', 'boolean', 'date', 'datetime', 'binary'] as const;

/** A data item as the editor holds it; `key` keeps React's rows stable while rows are added and removed. */
export interface DataItemRow extends DataItem {
  key: number;
}

/** The form's state: every input as the user typed it (strings), turned into the API's body on submit. */
export interface EntryFormState {
  type: CreateEntry['type'];
  code: string;
  name: string;
  summary: string;
  providerId: string;
  category: string;
  grade: CreateEntry['grade'];
  shareType: CreateEntry['shareType'];
  shareCondition: string;
  legalBasis: string;
  openType: CreateEntry['openType'];
  updateCycle: CreateEntry['updateCycle'];
  format: string;
  regionScope: string;
  releaseDate: string;
  dataItems: DataItemRow[];
}

let nextKey = 1;
export function newItemRow(item: Partial<DataItem> = {}): DataItemRow {
  return { key: nextKey++, name: item.name ?? '', type: item.type ?? 'string', sensitive: item.sensitive ?? false };
}

export function emptyEntryForm(): EntryFormState {
  return {
    type: 'data',
    code: '',
    name: '',
    summary: '',
    providerId: '',
    category: '',
    grade: 'L1',
    shareType: 'unconditional',
    shareCondition: '',
    legalBasis: '',
    openType: 'unconditional',
    updateCycle: 'irregular',
    format: '',
    regionScope: '',
    releaseDate: '',
    dataItems: [newItemRow()],
  };
}

export function entryFormOf(entry: EntryView): EntryFormState {
  return {
    type: entry.type,
    code: entry.code,
    name: entry.name,
    summary: entry.summary,
    providerId: entry.providerId,
    category: entry.category,
    grade: entry.grade,
    shareType: entry.shareType,
    shareCondition: entry.shareCondition ?? '',
    legalBasis: entry.legalBasis ?? '',
    openType: entry.openType,
    updateCycle: entry.updateCycle,
    format: entry.format ?? '',
    regionScope: entry.regionScope,
    releaseDate: entry.releaseDate ?? '',
    dataItems: entry.dataItems.map((item) => newItemRow(item)),
  };
}

const optional = (text: string) => (text.trim() === '' ? undefined : text.trim());

/** The body of POST /catalog/entries; empty optional inputs are left out (the API supplies its defaults). */
export function createBodyOf(form: EntryFormState): CreateEntry {
  return {
    type: form.type,
    code: optional(form.code),
    name: form.name.trim(),
    summary: form.summary.trim(),
    providerId: form.providerId,
    category: form.category.trim(),
    grade: form.grade,
    shareType: form.shareType,
    shareCondition: form.shareType === 'conditional' ? optional(form.shareCondition) : undefined,
    legalBasis: form.shareType === 'none' ? optional(form.legalBasis) : undefined,
    openType: form.openType,
    updateCycle: form.updateCycle,
    format: optional(form.format),
    regionScope: optional(form.regionScope),
    releaseDate: optional(form.releaseDate),
    dataItems:
      form.type === 'data' || form.dataItems.some((i) => i.name.trim())
        ? form.dataItems.map(({ name, type, sensitive }) => ({ name: name.trim(), type, sensitive }))
        : undefined,
  };
}

/** The body of PATCH /catalog/entries/{id}: the same fields (the code is fixed once registered), guarded by the version shown. */
export function updateBodyOf(form: EntryFormState, expectedVersion: number): UpdateEntry {
  const { type: _type, code: _code, ...rest } = createBodyOf(form);
  return { ...rest, expectedVersion };
}

/**
 * The API names array fields by index (`dataItems.2.name`); the editor's inputs are named the same,
 * so those map straight to a row. Anything deeper than a row's field folds onto that field.
 */
export function entryFieldOf(path: string): string {
  const item = /^dataItems\.(\d+)\.(name|type|sensitive)/.exec(path);
  if (item) return `dataItems.${item[1]}.${item[2]}`;
  return path.split('.')[0];
}

/** The inputs the form has (others' messages go to the banner). */
export function entryFormHasField(field: string): boolean {
  return /^dataItems(\.\d+\.(name|type|sensitive))?$/.test(field) || ENTRY_FIELDS.has(field);
}

const ENTRY_FIELDS = new Set([
  'type',
  'code',
  'name',
  'summary',
  'providerId',
  'category',
  'grade',
  'shareType',
  'shareCondition',
  'legalBasis',
  'openType',
  'updateCycle',
  'format',
  'regionScope',
  'releaseDate',
]);
