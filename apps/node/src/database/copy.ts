import type { PoolClient } from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** Sends `data` (COPY text) to `COPY ... FROM STDIN` on the client, inside whatever transaction it has open. */
export async function copyIn(client: PoolClient, sql: string, data: Buffer): Promise<void> {
  await pipeline(Readable.from([data]), client.query(copyFrom(sql)));
}

/** The whole output of `COPY ... TO STDOUT` (COPY takes no parameters: `sql` must hold only checked literals). */
export async function copyOut(client: PoolClient, sql: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of client.query(copyTo(sql))) parts.push(part as Buffer);
  return parts.length === 1 ? parts[0] : Buffer.concat(parts);
}
