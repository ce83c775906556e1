import { readFileSync, statSync } from 'node:fs';
import { nkeys } from '@nats-io/transport-node';

/**
 * The node's NATS credential: an NKey user seed in a file (NATS_NKEY_SEED_FILE). The
 * nats-server configuration holds only the public key with its permissions (deploy/nats), so it
 * can be reviewed and committed without secrets; the seed never crosses the wire (the server
 * sends a nonce, the client signs it). Messages here name the file, never its content.
 */
export function nkeySeedProblem(file: string): string | undefined {
  let mode: number;
  try {
    mode = statSync(file).mode;
  } catch {
    return `NATS_NKEY_SEED_FILE: ${file} cannot be read`;
  }
  // Like ssh with a private key: a seed others can read is no longer this node's alone.
  if ((mode & 0o077) !== 0) return `NATS_NKEY_SEED_FILE: ${file} must be readable by its owner only (chmod 600)`;
  try {
    readNkeySeed(file);
  } catch {
    return `NATS_NKEY_SEED_FILE: ${file} does not hold an NKey user seed (one line starting SU)`;
  }
  return undefined;
}

/** The seed, checked (user seed, valid checksum); read at every (re)connect so a replaced seed needs no restart. */
export function readNkeySeed(file: string): Uint8Array {
  const seed = readFileSync(file, 'utf8').trim();
  if (!/^SU[A-Z2-7]{56}$/.test(seed)) throw new Error('not an NKey user seed');
  const bytes = new TextEncoder().encode(seed);
  nkeys.fromSeed(bytes); // throws on a bad checksum
  return bytes;
}
