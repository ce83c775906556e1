import { isIP } from 'node:net';

/**
 * Express's `trust proxy` setting, restricted to the safe forms: none, a number of proxy hops,
 * or the proxies' addresses. `true` (trust everyone) is refused: any client could then choose
 * the address its rate limits are counted under.
 */
export type TrustProxy = false | number | string[];

const NAMED_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal']);

const PROBLEM =
  'TRUST_PROXY must be false, a hop count from 1 to 10, or a comma-separated list of IP addresses, CIDR ranges, ' +
  'loopback, linklocal or uniquelocal (true is refused: it would let any client name its own address)';

/** Parses TRUST_PROXY; returns a problem message (without the value) when it is not valid. */
export function parseTrustProxy(text: string | undefined): { value: TrustProxy } | { problem: string } {
  const trimmed = (text ?? '').trim();
  if (trimmed === '' || trimmed.toLowerCase() === 'false') return { value: false };
  if (/^\d+$/.test(trimmed)) {
    const hops = Number(trimmed);
    return hops >= 1 && hops <= 10 ? { value: hops } : { problem: PROBLEM };
  }
  const entries = trimmed.split(',').map((entry) => entry.trim());
  return entries.every(isAddressOrRange) ? { value: entries } : { problem: PROBLEM };
}

function isAddressOrRange(entry: string): boolean {
  if (NAMED_RANGES.has(entry)) return true;
  const [address, prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d+$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}
