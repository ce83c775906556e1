import { randomBytes, sign, verify, KeyObject } from 'node:crypto';
import type { SigningKey } from './envelope';
import type { JoinAnswer, JoinReply } from './records';

/** A join's or an answer's message is refused when its time is further than this from the receiver's clock. */
export const JOIN_FRESHNESS_MS = 2 * 60_000;

export class JoinAnswerError extends Error {}

export function newNonce(): string {
  return randomBytes(16).toString('base64url');
}

/** The parent signs its answer to one join: to whom, in answer to which nonce, and when. */
export function signJoinAnswer(from: string, to: string, nonce: string, reply: JoinReply, key: SigningKey): { payload: string; sig: string } {
  const answer: JoinAnswer = { v: 1, kind: 'join.answer', from, to, at: new Date().toISOString(), nonce, reply };
  const payload = JSON.stringify(answer);
  return { payload, sig: sign(null, Buffer.from(payload), key.privateKey).toString('base64') };
}

/**
 * The child opens its parent's answer: it must verify with one of `parentKeys` (the trust list's),
 * come from `from` to `to`, echo `nonce`, and be fresh. Anything else is not an answer at all.
 */
export function openJoinAnswer(data: Uint8Array, parentKeys: KeyObject[], expect: { from: string; to: string; nonce: string }, now = Date.now()): JoinReply {
  let signed: { payload?: unknown; sig?: unknown };
  try {
    signed = JSON.parse(Buffer.from(data).toString('utf8'));
  } catch {
    throw new JoinAnswerError('the answer is not JSON');
  }
  if (typeof signed !== 'object' || signed === null || typeof signed.payload !== 'string' || typeof signed.sig !== 'string') {
    throw new JoinAnswerError('the answer is not signed');
  }
  const { payload, sig } = signed as { payload: string; sig: string };
  const verifies = parentKeys.some((key) => {
    try {
      return verify(null, Buffer.from(payload), key, Buffer.from(sig, 'base64'));
    } catch {
      return false;
    }
  });
  if (!verifies) throw new JoinAnswerError(`the answer does not carry the signature of ${expect.from} as the trust list names it`);
  const answer = JSON.parse(payload) as JoinAnswer;
  if (answer.v !== 1 || answer.kind !== 'join.answer' || answer.from !== expect.from || answer.to !== expect.to) {
    throw new JoinAnswerError(`the answer is not addressed from ${expect.from} to ${expect.to}`);
  }
  if (answer.nonce !== expect.nonce) throw new JoinAnswerError('the answer is for another join (nonce differs)');
  if (!(Math.abs(now - Date.parse(answer.at)) <= JOIN_FRESHNESS_MS)) throw new JoinAnswerError('the answer is stale');
  const reply = answer.reply as JoinReply | null;
  if (typeof reply !== 'object' || reply === null || typeof reply.ok !== 'boolean') throw new JoinAnswerError('the answer carries no reply');
  return reply;
}
