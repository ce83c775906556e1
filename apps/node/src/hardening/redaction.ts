// `scheme://user:password@` in any text: the password is replaced, whatever URL it is in.
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*):[^\s@/]*@/gi;
// Shorter values would redact ordinary words; such secrets are refused elsewhere or not secrets.
const MIN_SECRET_LENGTH = 4;

export const REDACTED = '[redacted]';

/** Replaces the given secret values and the password of any URL in `text`. */
export class Redactor {
  private readonly secrets: string[];

  constructor(secrets: Iterable<string | undefined>) {
    const unique = new Set<string>();
    for (const secret of secrets) {
      if (!secret || secret.length < MIN_SECRET_LENGTH) continue;
      unique.add(secret);
      const decoded = safeDecode(secret);
      if (decoded.length >= MIN_SECRET_LENGTH) unique.add(decoded);
      unique.add(encodeURIComponent(secret));
    }
    // Longest first, so that a secret containing another is replaced whole.
    this.secrets = [...unique].sort((a, b) => b.length - a.length);
  }

  redact(text: string): string {
    let result = text.replace(URL_PASSWORD, `$1:${REDACTED}@`);
    for (const secret of this.secrets) if (result.includes(secret)) result = result.split(secret).join(REDACTED);
    return result;
  }
}

/**
 * The user information (`user:password`) of each URL in a comma-separated list, and its password
 * alone. User information without a password is a secret only where it is a token
 * (`nats://tok3n@host`); a database URL's lone user name (`postgres://postgres@db`) is a role
 * name, and redacting it would blank that word out of every log line and stack trace.
 */
export function urlCredentials(urls: string, loneUser: 'token' | 'user-name' = 'token'): string[] {
  return urls.split(',').flatMap((url) => {
    const match = /^[a-z][a-z0-9+.-]*:\/\/([^/@\s]*)@/i.exec(url.trim());
    if (!match) return [];
    const [user, password] = splitOnce(match[1], ':');
    if (password === undefined) return loneUser === 'token' ? [user] : [];
    // An empty password (`user:@`) is no secret either; the user name alone is not one.
    return password === '' ? [] : [match[1], password];
  });
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const at = text.indexOf(separator);
  return at < 0 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)];
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
