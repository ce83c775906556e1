/** The catalog vocabulary (entry types, grades, share and open types), shared by the API, the database and the wire. */

export const ENTRY_TYPES = ['data', 'application', 'component', 'compute'] as const;
export type EntryType = (typeof ENTRY_TYPES)[number];

/** DB33/T 2351 sensitivity grades. */
export const GRADES = ['L1', 'L2', 'L3', 'L4'] as const;
export type Grade = (typeof GRADES)[number];

export const SHARE_TYPES = ['unconditional', 'conditional', 'none'] as const;
export type ShareType = (typeof SHARE_TYPES)[number];

export const OPEN_TYPES = ['unconditional', 'restricted', 'prohibited'] as const;
export type OpenType = (typeof OPEN_TYPES)[number];

export const UPDATE_CYCLES = ['realtime', 'daily', 'weekly', 'monthly', 'quarterly', 'yearly', 'irregular'] as const;
export type UpdateCycle = (typeof UPDATE_CYCLES)[number];

export const INSTITUTION_KINDS = ['government', 'public-service', 'state-department'] as const;
export type InstitutionKind = (typeof INSTITUTION_KINDS)[number];

export const ENTRY_STATUSES = ['active', 'retired'] as const;
export type EntryStatus = (typeof ENTRY_STATUSES)[number];

export const DATA_ITEM_TYPES = ['string', 'integer', 'decimal', 'boolean', 'date', 'datetime', 'binary'] as const;
export type DataItemType = (typeof DATA_ITEM_TYPES)[number];
