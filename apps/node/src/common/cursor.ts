import { DomainRefusal } from './domain-refusal';

/** Keyset cursors are opaque to clients: base64url of the last row's local sequence. */
export function encodeCursor(rowSeq: number): string {
  return Buffer.from(`s:${rowSeq}`).toString('base64url');
}

export function decodeCursor(cursor: string | undefined): number {
  if (cursor === undefined) return 0;
  const match = /^s:(\d{1,18})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match) throw DomainRefusal.invalid([{ field: 'cursor', messages: ['cursor is not one this API returned'] }]);
  return Number(match[1]);
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
