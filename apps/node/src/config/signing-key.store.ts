import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { generateSigningKey, SigningKey, signingKeyFromPem, signingKeyToPem } from '@tdx/contracts';

/** Loads the node's Ed25519 key, generating it (mode 0600) on first start. */
export function loadOrCreateSigningKey(keyFile: string): { key: SigningKey; created: boolean } {
  if (existsSync(keyFile)) {
    return { key: signingKeyFromPem(readFileSync(keyFile, 'utf8')), created: false };
  }
  const key = generateSigningKey();
  mkdirSync(dirname(keyFile), { recursive: true, mode: 0o700 });
  // 'wx' fails if another process created the file in between, rather than overwrite its key.
  writeFileSync(keyFile, signingKeyToPem(key), { mode: 0o600, flag: 'wx' });
  chmodSync(keyFile, 0o600);
  return { key, created: true };
}
