import { randomBytes, sign, verify, KeyObject } from 'node:crypto';
import { SigningKey } from './envelope';
import { protocolVersionVerdict } from './protocol-version';
import { REFUSAL_KINDS, FieldProblem, RefusalKind, RuleRefusal } from './refusal';
import { array, boolean, divisionCode, integer, object, oneOf, optional, Schema, text, timestamp, uuid } from './schema';

/**
 * The one channel of Article 10 on the wire: a signed message from one node to any other of the
 * federation, published by its sender on `<ns>.channel.<to>.<from>` (docs/protocol.md, "The channel").
 */
export interface ChannelMessage {
  v: 1;
  /** What is asked ("share.request", "catalog.search", …), or `answer` for the answer to a message. */
  kind: string;
  /** Sender and addressee: a message signed for one node is useless at another. */
  from: string;
  to: string;
  /** When it was signed; the receiver refuses a message more than CHANNEL_MAX_AGE_MS from its clock. */
  at: string;
  /** Random and new for every message: the receiver refuses a (from, nonce) it has seen within the window. */
  nonce: string;
  /** On an answer: the nonce of the message answered (the asker takes no other answer). */
  re?: string;
  /** On a durable message: its id, the same on every attempt, so that the receiver applies it once. */
  id?: string;
  body: unknown;
}

/** The body of an `answer`: what the handler returned, or why it would not. */
export type ChannelAnswer = { ok: true; value: unknown } | { ok: false; refusal: ChannelRefusal };

/** A refusal as it crosses the channel: the HTTP API's refusal kinds, with their rule and fields. */
export interface ChannelRefusal {
  kind: RefusalKind;
  message: string;
  rule?: string;
  article?: string;
  /** True when asking again cannot help (a durable message so refused is not sent again). */
  permanent: boolean;
  fields?: FieldProblem[];
  refusals?: RuleRefusal[];
}

export const CHANNEL_SIG_HEADER = 'Tdx-Sig';
export const CHANNEL_ANSWER = 'answer';
/** How far a message's `at` may be from the receiver's clock, either way; also how long its nonce is remembered. */
export const CHANNEL_MAX_AGE_MS = 120_000;
/**
 * The largest message the channel carries (its signed JSON), well under NATS's default
 * max_payload of 1 MiB: a feature pages what is larger (a page of rows, a page of a catalog).
 */
export const CHANNEL_MAX_BYTES = 900 * 1024;
/** Dotted lower-case names: "share.request", "catalog.search". */
export const CHANNEL_KIND = /^[a-z][a-z0-9-]{0,30}(\.[a-z][a-z0-9-]{0,30}){1,3}$/;

export function newChannelNonce(): string {
  return randomBytes(16).toString('base64url');
}

export class ChannelMessageError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'ChannelMessageError';
  }
}

const NONCE = text(22, 64, { test: /^[A-Za-z0-9_-]+$/, means: 'base64url' });
const ANY: Schema<unknown> = () => undefined;
const KIND: Schema<string> = (value, path) =>
  value === CHANNEL_ANSWER || (typeof value === 'string' && CHANNEL_KIND.test(value)) ? undefined : `${path} must be a channel kind`;
const HEADER = object<ChannelMessage>({
  v: oneOf([1] as const),
  kind: KIND,
  from: divisionCode,
  to: divisionCode,
  at: timestamp,
  nonce: NONCE,
  re: optional(NONCE),
  id: optional(uuid),
  body: ANY,
});
const LONG_TEXT = text(0, 8000);
const REFUSAL = object<ChannelRefusal>({
  kind: oneOf(REFUSAL_KINDS),
  message: LONG_TEXT,
  rule: optional(text(1, 200)),
  article: optional(text(0, 200)),
  permanent: boolean,
  fields: optional(array(object<FieldProblem>({ field: text(0, 200), row: optional(integer(0)), messages: array(LONG_TEXT, 50) }), 500)),
  refusals: optional(array(object<RuleRefusal>({ rule: text(1, 200), article: text(0, 200), message: LONG_TEXT }), 50)),
});
const ANSWER_OK = object<{ ok: boolean; value: unknown }>({ ok: boolean, value: ANY });
const ANSWER_REFUSED = object<{ ok: boolean; refusal: ChannelRefusal }>({ ok: boolean, refusal: REFUSAL });
const ANSWER: Schema<ChannelAnswer> = (value, path) => {
  const ok = (value as { ok?: unknown } | null)?.ok;
  if (ok === true) return ANSWER_OK(value, path);
  if (ok === false) return ANSWER_REFUSED(value, path);
  return `${path}.ok must be true or false`;
};

/** Serialises and signs a message: the bytes to publish and the signature for the `Tdx-Sig` header. */
export function sealChannelMessage(message: ChannelMessage, key: SigningKey): { data: Buffer; sig: string } {
  const data = Buffer.from(JSON.stringify(message));
  return { data, sig: sign(null, data, key.privateKey).toString('base64') };
}

export function verifyChannelMessage(data: Uint8Array, sig: string | undefined, publicKey: KeyObject): boolean {
  if (!sig) return false;
  try {
    return verify(null, data, publicKey, Buffer.from(sig, 'base64'));
  } catch {
    return false;
  }
}

/**
 * Parses a message and checks its header (and an answer's body) against the schema; not its
 * signature (verifyChannelMessage). A request's body is the receiving feature's to check.
 */
export function openChannelMessage(data: Uint8Array): ChannelMessage {
  if (data.byteLength > CHANNEL_MAX_BYTES) throw new ChannelMessageError(`the message is larger than ${CHANNEL_MAX_BYTES} bytes`);
  let message: unknown;
  try {
    message = JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8'));
  } catch {
    throw new ChannelMessageError('the message is not JSON');
  }
  // A newer (or retired) version is named as such, so the sender's answer says whom to upgrade.
  const version = protocolVersionVerdict((message as { v?: unknown } | null)?.v, 'the channel message');
  if (version.kind === 'newer' || version.kind === 'retired') throw new ChannelMessageError(version.reason);
  const problem = HEADER(message, 'message');
  if (problem) throw new ChannelMessageError(`not a valid version-1 channel message: ${problem}`);
  const parsed = message as ChannelMessage;
  if (parsed.kind === CHANNEL_ANSWER) {
    if (parsed.re === undefined) throw new ChannelMessageError('an answer must name the message it answers (re)');
    const wrong = ANSWER(parsed.body, 'message.body');
    if (wrong) throw new ChannelMessageError(`not a valid channel answer: ${wrong}`);
  }
  return parsed;
}
