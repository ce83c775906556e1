import { JoinBody, publicKeyFromBase64url, verifyRotation } from '@tdx/contracts';
import type { KnownNode } from './node-registry.repository';

/** A join that rotates an approved node's key: signed over by the key recorded for it. */
export function isRotationOf(known: KnownNode, body: JoinBody): boolean {
  const from = body.rotatedFrom;
  if (known.status !== 'approved' || !from || from.publicKey !== known.publicKey) return false;
  try {
    return verifyRotation(body.code, body.publicKey, from, publicKeyFromBase64url(known.publicKey));
  } catch {
    return false;
  }
}
