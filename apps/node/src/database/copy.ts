import type { PoolClient } from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** Sends `data` (COPY text) to `COPY ... FROM STDIN` on the client, inside whatever transaction it has open. */
export async function copyIn(client: PoolClient, sql: string, data: Buffer): Promise<void> {
  await pipeline(Readable.from([data]), client.query(copyFrom(sql)));
}

/**
 * The whole output of `COPY ... TO STDOUT` (COPY takes no parameters: `sql` must hold only checked
 * literals). Collected from 'data' events: the stream yields one small buffer per row, and an
 * async iterator would cost a promise for each.
 */
export function copyOut(client: PoolClient, sql: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    const stream = client.query(copyTo(sql));
    stream.on('data', (part: Buffer) => parts.push(part));
    stream.once('error', reject);
    stream.once('end', () => resolve(parts.length === 1 ? parts[0] : Buffer.concat(parts)));
  });
}
