import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * The public key (base64url, as TRUST_ANCHOR takes it) of the province's key in `keyFile`, creating
 * the key (PKCS#8 PEM, mode 0600, as the node would) when absent: the anchor is installed on every
 * other node before any of them starts, as an operator does out of band.
 */
export function provinceAnchor(keyFile: string): string {
  if (!existsSync(keyFile)) {
    mkdirSync(dirname(keyFile), { recursive: true, mode: 0o700 });
    const { privateKey } = generateKeyPairSync('ed25519');
    writeFileSync(keyFile, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600, flag: 'wx' });
  }
  return publicKeyOf(keyFile);
}

/** The public key (base64url) of the Ed25519 private key in `keyFile`. */
export function publicKeyOf(keyFile: string): string {
  return String(createPublicKey(createPrivateKey(readFileSync(keyFile, 'utf8'))).export({ format: 'jwk' }).x);
}

/** The province's key file of each test federation, by NATS namespace. */
const provinceKeyFiles = new Map<string, string>();

/**
 * The province's key file of a test federation (one per namespace; `keyFile` names it on first
 * use): the province is started with it, and every other node of the namespace gets its public key
 * as TRUST_ANCHOR (trustAnchorOf).
 */
export function provinceKeyFile(namespace: string | undefined, keyFile?: string): string {
  const name = namespace ?? 'tdx';
  const file = provinceKeyFiles.get(name) ?? keyFile ?? join(mkdtempSync(join(tmpdir(), 'tdx-anchor-')), 'province.pem');
  provinceKeyFiles.set(name, file);
  return file;
}

/** The trust anchor of a test federation: the public key of its province. */
export function trustAnchorOf(namespace: string | undefined): string {
  return provinceAnchor(provinceKeyFile(namespace));
}
