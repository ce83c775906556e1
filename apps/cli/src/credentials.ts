import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/** One node's sign-in as `tdx login` keeps it. */
export interface StoredSession {
  username: string;
  accessToken: string;
  refreshToken: string;
  /** When the access token expires (ms since the epoch). */
  expiresAt: number;
}

interface CredentialsFile {
  version: 1;
  nodes: Record<string, StoredSession>;
}

/** `$XDG_CONFIG_HOME/tdx/credentials.json`, else `~/.config/tdx/credentials.json`. */
export function credentialsPath(env: Record<string, string | undefined>): string {
  const config = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return join(config, 'tdx', 'credentials.json');
}

/**
 * The sessions of `tdx login`, one per node URL, in a file only its owner can read (0600 in a
 * 0700 directory): the tokens in it are as good as the password until they expire.
 */
export class CredentialStore {
  constructor(readonly path: string) {}

  get(nodeUrl: string): StoredSession | undefined {
    return this.read().nodes[nodeUrl];
  }

  put(nodeUrl: string, session: StoredSession): void {
    const file = this.read();
    file.nodes[nodeUrl] = session;
    this.write(file);
  }

  remove(nodeUrl: string): void {
    const file = this.read();
    if (!(nodeUrl in file.nodes)) return;
    delete file.nodes[nodeUrl];
    this.write(file);
  }

  private read(): CredentialsFile {
    try {
      const parsed = JSON.parse(readFileSync(this.path, 'utf8')) as Partial<CredentialsFile>;
      return { version: 1, nodes: parsed.nodes && typeof parsed.nodes === 'object' ? parsed.nodes : {} };
    } catch {
      // No file yet, or one we cannot read: as if signed in nowhere.
      return { version: 1, nodes: {} };
    }
  }

  private write(file: CredentialsFile): void {
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    // Written beside and renamed, so a crash never leaves half a file; created 0600, never readable by others.
    const temporary = `${this.path}.${process.pid}.tmp`;
    writeFileSync(temporary, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
    chmodSync(temporary, 0o600);
    renameSync(temporary, this.path);
  }
}
