import { isDirectChild, levelOf } from '@tdx/divisions';
import { JOIN_FRESHNESS_MS, JoinBody, NodeApprovalBody, NodeRevocationBody } from '@tdx/contracts';

/** Checks of the identity records (joins, approvals, revocations) that need no key: shape and place in the tree. */

const PUBLIC_KEY = /^[A-Za-z0-9_-]{43}$/;
const MAX_NAME = 200;
const MAX_REASON = 2000;

function text(value: unknown, max: number): boolean {
  return typeof value === 'string' && value.length >= 1 && value.length <= max;
}

function nodeProblem(body: { code?: unknown; parent?: unknown; publicKey?: unknown }, parent: string): string | undefined {
  if (typeof body.code !== 'string' || typeof body.parent !== 'string') return 'the record names no node';
  if (body.parent !== parent || !isDirectChild(body.code, body.parent)) return `${body.code} is not a direct child of ${parent} (Article 9)`;
  if (typeof body.publicKey !== 'string' || !PUBLIC_KEY.test(body.publicKey)) return 'the public key is not 32 bytes in base64url';
  return undefined;
}

/** A direct child's join request to `here`: its own, for a child of `here`, well formed and fresh. */
export function joinRequestProblem(body: JoinBody, origin: string, here: string, at: string, now = Date.now()): string | undefined {
  if (body.code !== origin) return 'a join must be signed by the joining node itself';
  const problem = nodeProblem(body, here);
  if (problem) return problem;
  if (!text(body.name, MAX_NAME) || body.level !== levelOf(body.code)) return 'the join names no valid name or level';
  if (body.nonce !== undefined && !text(body.nonce, 64)) return 'the join nonce is malformed';
  if (!(Math.abs(now - Date.parse(at)) <= JOIN_FRESHNESS_MS))
    return `the join was signed at ${String(at).slice(0, 40)}, not within ${JOIN_FRESHNESS_MS / 60_000} minutes of now`;
  return undefined;
}

/** A join never travels through the stream: ancestors admit a node on its parent's signed approval only. */
export const FORWARDED_JOIN_PROBLEM = "a join is not accepted through the stream; an ancestor admits a node only on its parent's signed approval";

/** A parent's approval (`origin` is the parent). */
export function approvalProblem(body: NodeApprovalBody, origin: string): string | undefined {
  const problem = nodeProblem(body, origin);
  if (problem) return problem;
  if (!text(body.name, MAX_NAME) || body.level !== levelOf(body.code)) return 'the approval names no valid name or level';
  if (body.previousPublicKey !== undefined && (typeof body.previousPublicKey !== 'string' || !PUBLIC_KEY.test(body.previousPublicKey))) {
    return 'the previous public key is not 32 bytes in base64url';
  }
  return undefined;
}

/** A parent's revocation (`origin` is the parent). */
export function revocationProblem(body: NodeRevocationBody, origin: string): string | undefined {
  return nodeProblem(body, origin) ?? (text(body.reason, MAX_REASON) ? undefined : 'the revocation states no reason');
}
