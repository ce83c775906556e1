/**
 * The path prefixes the node's own endpoints live under; everything else belongs to the web
 * console (its files and its client-side routes). Express matches routes case-insensitively, so
 * these compare in lower case.
 */
const SERVER_PREFIXES = ['/api', '/health', '/metrics'];

/** Whether `path` (a request's path, not decoded) is the console's: outside /api, /health and /metrics. */
export function isConsolePath(path: string): boolean {
  const lower = path.toLowerCase();
  return !SERVER_PREFIXES.some((prefix) => lower === prefix || lower.startsWith(`${prefix}/`));
}

/** The console's hashed build files: immutable, so cached for a year. */
export const ASSETS_PREFIX = '/assets/';
