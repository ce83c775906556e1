import { DomainRefusal } from './domain-refusal';

/**
 * Keyset cursors are opaque to clients: base64url of the last row's key, tagged by the kind of key
 * (`s:` a local sequence number, `k:` a row key), so that a cursor of one list is refused by another.
 */
export const cursors = {
  ofSeq: (seq: number | string): string => Buffer.from(`s:${seq}`).toString('base64url'),
  ofKey: (key: string): string => Buffer.from(`k:${key}`).toString('base64url'),

  /** The sequence number after which the page starts; 0 (the beginning) without a cursor. */
  seq(cursor: string | undefined): number {
    if (cursor === undefined) return 0;
    const match = /^s:(\d{1,18})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (!match) throw notOurs();
    return Number(match[1]);
  },

  /** The row key after which the page starts; undefined (the beginning) without a cursor. */
  key(cursor: string | undefined): string | undefined {
    if (cursor === undefined) return undefined;
    const text = Buffer.from(cursor, 'base64url').toString('utf8');
    if (!text.startsWith('k:') || text.length < 3) throw notOurs();
    return text.slice(2);
  },
};

function notOurs(): DomainRefusal {
  return DomainRefusal.invalid([{ field: 'cursor', messages: ['cursor is not one this API returned'] }]);
}
