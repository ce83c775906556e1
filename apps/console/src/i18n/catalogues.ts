import type { Locale } from './define';
import { catalog } from './messages/catalog';
import { common } from './messages/common';
import { move } from './messages/move';
import { federation } from './messages/federation';
import { audit } from './messages/audit';

// Each area of the console keeps its messages in messages/<area>.ts; one line here each.
const AREAS = [common, catalog, move, federation, audit] as const;

type Union<T> = T extends { 'zh-CN': Record<infer K, string> } ? K : never;
export type MessageKey = Union<(typeof AREAS)[number]>;

export const CATALOGUES: Record<Locale, Record<MessageKey, string>> = {
  'zh-CN': Object.assign({}, ...AREAS.map((area) => area['zh-CN'])),
  en: Object.assign({}, ...AREAS.map((area) => area.en)),
};

/** Every area, for the catalogue test (keys are unique across areas). */
export const AREA_CATALOGUES = AREAS;
