import { hash, verify, type Algorithm } from '@node-rs/argon2';

// Argon2id with OWASP's minimum (19 MiB, 2 passes, 1 lane): about 30 ms per hash on a 2-core machine.
const ARGON2ID = 2 as Algorithm;
const OPTIONS = { algorithm: ARGON2ID, memoryCost: 19456, timeCost: 2, parallelism: 1 };

export function hashPassword(password: string): Promise<string> {
  return hash(password, OPTIONS);
}

/** False for a wrong password and for anything that is not an argon2 hash, never an exception. */
export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}
