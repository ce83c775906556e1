import { realpathSync } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';

// A name a build tool writes: letters, digits, dot, dash, underscore, tilde, plus and at-sign; never `.` or `..` alone.
const SEGMENT = /^[A-Za-z0-9_~+@-][A-Za-z0-9._~+@-]*$/;

/**
 * The files of the built console, and nothing else: a requested path is decoded once, split into
 * segments that must look like file names (no `..`, no dot files, no backslash or NUL), joined
 * under the directory, and its real path (symlinks followed) must still lie inside the
 * directory's real path and be a regular file.
 */
export class ConsoleFiles {
  constructor(readonly dir: string) {}

  /** index.html, or null while the console is not built. */
  async index(): Promise<string | null> {
    return this.regularFileInside(join(this.dir, 'index.html'));
  }

  /** The file under assets/ for `encoded` (the part of the URL path after `/assets/`), or null. */
  async asset(encoded: string): Promise<string | null> {
    let decoded: string;
    try {
      decoded = decodeURIComponent(encoded);
    } catch {
      return null;
    }
    const segments = decoded.split('/');
    if (segments.length > 16 || !segments.every((s) => SEGMENT.test(s) && s.length <= 255)) return null;
    return this.regularFileInside(join(this.dir, 'assets', ...segments));
  }

  /** Whether the directory holds the built console; read once at start for its warning. */
  builtNow(): boolean {
    try {
      realpathSync(join(this.dir, 'index.html'));
      return true;
    } catch {
      return false;
    }
  }

  private async regularFileInside(candidate: string): Promise<string | null> {
    try {
      const [root, real] = await Promise.all([realpath(this.dir), realpath(candidate)]);
      if (!real.startsWith(root + sep)) return null;
      return (await stat(real)).isFile() ? real : null;
    } catch {
      return null;
    }
  }
}
