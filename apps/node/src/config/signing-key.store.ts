import { chmodSync, existsSync, linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { randomBytes } from 'node:crypto';
import { generateSigningKey, SigningKey, signingKeyFromPem, signingKeyToPem } from '@tdx/contracts';

/** Loads the node's Ed25519 key, generating it (mode 0600) on first start. */
export function loadOrCreateSigningKey(keyFile: string): { key: SigningKey; created: boolean } {
  if (existsSync(keyFile)) {
    return { key: signingKeyFromPem(readFileSync(keyFile, 'utf8')), created: false };
  }
  const key = generateSigningKey();
  mkdirSync(dirname(keyFile), { recursive: true, mode: 0o700 });
  // Written whole under a temporary name, then linked into place: the link fails if another process
  // (a second replica starting at the same moment) put its key there first, and then that key, which
  // is complete, is the node's. Never overwrite a key, never read half of one.
  const temporary = `${keyFile}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(temporary, signingKeyToPem(key), { mode: 0o600, flag: 'wx' });
  try {
    chmodSync(temporary, 0o600);
    linkSync(temporary, keyFile);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return { key: signingKeyFromPem(readFileSync(keyFile, 'utf8')), created: false };
  } finally {
    unlinkSync(temporary);
  }
  return { key, created: true };
}
