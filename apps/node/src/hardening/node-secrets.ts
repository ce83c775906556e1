import { urlCredentials } from './redaction';

// Configuration fields named like these hold secrets (adminPassword, jwtSecret, setupToken, ...).
const SECRET_FIELD = /password|secret|token|credential|private/i;

/**
 * The secret values in a node's configuration: the credentials inside DATABASE_URL and NATS_URL,
 * and every string field, at any depth, whose name says it is a secret, so that settings added later are
 * covered without being listed here.
 */
export function secretsOf(config: object): string[] {
  const fields = config as Record<string, unknown>;
  const secrets: string[] = [];
  if (typeof fields.databaseUrl === 'string') secrets.push(...urlCredentials(fields.databaseUrl, 'user-name'));
  if (typeof fields.natsUrl === 'string') secrets.push(...urlCredentials(fields.natsUrl));
  secrets.push(...namedSecrets(fields));
  return secrets;
}

function namedSecrets(fields: Record<string, unknown>): string[] {
  return Object.entries(fields).flatMap(([name, value]) => {
    if (typeof value === 'string') return SECRET_FIELD.test(name) ? [value] : [];
    // Nested settings (`auth: { adminPassword }`); keys and buffers are not configuration text.
    if (value !== null && typeof value === 'object' && !Array.isArray(value) && !Buffer.isBuffer(value)) return namedSecrets(value as Record<string, unknown>);
    return [];
  });
}
