import { KeyObject, sign, verify } from 'node:crypto';
import { isDirectChild, isWithin } from '@tdx/divisions';
import type { SigningKey } from './envelope';
import { JOIN_FRESHNESS_MS } from './join-answer';
import { array, divisionCode, integer, nullable, object, oneOf, refined, Schema, text, timestamp } from './schema';

/**
 * A node's sign of life to its parent, sent over core NATS on `<ns>.heartbeat.<parent>.<sender>` every
 * HEARTBEAT_INTERVAL seconds (docs/protocol.md, "Heartbeats"). At-most-once is right for it: a lost
 * heartbeat only delays, the next one says the same. It also carries what the parent cannot see
 * otherwise: the sender's outbox backlog, and the joins waiting for an operator anywhere in the
 * sender's subtree, so the province sees every pending join below it and where it waits.
 */
export interface Heartbeat {
  v: 1;
  kind: 'node.heartbeat';
  from: string;
  to: string;
  /** When the sender signed it; the receiver takes only a heartbeat newer than the last it took. */
  at: string;
  /** The heartbeat interval the sender runs with, so the parent can judge silence by it. */
  intervalSeconds: number;
  /** Records in the sender's outbox not yet acknowledged by this parent. */
  outboxBacklog: number;
  oldestQueuedAt: string | null;
  /** Joins waiting for an operator at the sender or below it (at most MAX_REPORTED_JOINS). */
  pendingJoins: PendingJoinReport[];
}

/** A join waiting for an operator at `waitsAt` (the node that holds it, the joining node's parent). */
export interface PendingJoinReport {
  code: string;
  name: string;
  publicKey: string;
  waitsAt: string;
  firstSeen: string;
  lastSeen: string;
  attempts: number;
}

export const MAX_REPORTED_JOINS = 200;
export const MAX_HEARTBEAT_BYTES = 128 * 1024;

const pendingJoin: Schema<PendingJoinReport> = refined(
  object<PendingJoinReport>({
    code: divisionCode,
    name: text(1, 200),
    publicKey: text(43, 43, { test: /^[A-Za-z0-9_-]{43}$/, means: 'an Ed25519 public key in base64url' }),
    waitsAt: divisionCode,
    firstSeen: timestamp,
    lastSeen: timestamp,
    attempts: integer(0),
  }),
  (j) => isDirectChild(j.code, j.waitsAt),
  'a join waits at the parent of the joining node',
);

const heartbeatSchema: Schema<Heartbeat> = object<Heartbeat>({
  v: oneOf([1] as const),
  kind: oneOf(['node.heartbeat'] as const),
  from: divisionCode,
  to: divisionCode,
  at: timestamp,
  intervalSeconds: integer(1, 300),
  outboxBacklog: integer(0),
  oldestQueuedAt: nullable(timestamp),
  pendingJoins: array(pendingJoin, MAX_REPORTED_JOINS),
});

export class HeartbeatError extends Error {
  constructor(
    /** A short word for metrics: malformed, misaddressed, signature, stale. */
    readonly kind: 'malformed' | 'misaddressed' | 'signature' | 'stale',
    reason: string,
  ) {
    super(reason);
  }
}

export function signHeartbeat(heartbeat: Omit<Heartbeat, 'v' | 'kind'>, key: SigningKey): { payload: string; sig: string } {
  const payload = JSON.stringify({ v: 1, kind: 'node.heartbeat', ...heartbeat } satisfies Heartbeat);
  return { payload, sig: sign(null, Buffer.from(payload), key.privateKey).toString('base64') };
}

/** The sender and addressee a heartbeat claims, before any key is looked up (cheap checks first). */
export function readHeartbeat(data: Uint8Array): { heartbeat: Heartbeat; payload: string; sig: string } {
  if (data.length > MAX_HEARTBEAT_BYTES) throw new HeartbeatError('malformed', `the heartbeat is larger than ${MAX_HEARTBEAT_BYTES} bytes`);
  let signed: { payload?: unknown; sig?: unknown };
  let heartbeat: unknown;
  try {
    signed = JSON.parse(Buffer.from(data).toString('utf8'));
    if (typeof signed !== 'object' || signed === null || typeof signed.payload !== 'string' || typeof signed.sig !== 'string') throw new Error();
    heartbeat = JSON.parse(signed.payload);
  } catch {
    throw new HeartbeatError('malformed', 'the heartbeat is not a signed JSON payload');
  }
  const problem = heartbeatSchema(heartbeat, 'heartbeat');
  if (problem) throw new HeartbeatError('malformed', problem);
  return { heartbeat: heartbeat as Heartbeat, payload: signed.payload as string, sig: signed.sig as string };
}

/**
 * Checks a heartbeat read by `readHeartbeat` as `receiver` got it on the subject naming `sender`: sent
 * by that direct child to this node, about the sender's own subtree, signed with one of `keys`, and
 * fresh (2 minutes). The receiver then takes it only if it was signed after the last one it took,
 * so a captured heartbeat replayed later changes nothing.
 */
export function checkHeartbeat(
  read: { heartbeat: Heartbeat; payload: string; sig: string },
  expect: { sender: string; receiver: string; keys: KeyObject[] },
  now = Date.now(),
): Heartbeat {
  const { heartbeat, payload, sig } = read;
  if (heartbeat.from !== expect.sender || heartbeat.to !== expect.receiver) {
    throw new HeartbeatError('misaddressed', `the heartbeat is sent as ${expect.sender} to ${expect.receiver} but names ${heartbeat.from} to ${heartbeat.to}`);
  }
  const below = heartbeat.pendingJoins.find((j) => !isWithin(j.waitsAt, heartbeat.from));
  if (below) throw new HeartbeatError('misaddressed', `the heartbeat reports a join waiting at ${below.waitsAt}, outside ${heartbeat.from}`);
  const verifies = expect.keys.some((key) => {
    try {
      return verify(null, Buffer.from(payload), key, Buffer.from(sig, 'base64'));
    } catch {
      return false;
    }
  });
  if (!verifies) throw new HeartbeatError('signature', `the heartbeat does not verify with the key of ${expect.sender}`);
  const at = Date.parse(heartbeat.at);
  if (!(Math.abs(now - at) <= JOIN_FRESHNESS_MS)) throw new HeartbeatError('stale', `the heartbeat was signed at ${heartbeat.at}, not within 2 minutes of now`);
  return heartbeat;
}
