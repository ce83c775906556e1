// Sign-in from the command line against a stand-in node over real HTTP: the stored session, its
// file mode, refresh on expiry, --token / TDX_TOKEN, and exit code 4 when not signed in.
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from './cli';
import { credentialsPath } from './credentials';
import { type Answer, answerJson, startStandInNode } from '../test/support/stand-in-node';

type Seen = { method?: string; url?: string; authorization?: string; body: string };
let server: Awaited<ReturnType<typeof startStandInNode>>;
let base: string;
let seen: Seen[] = [];
let answer: Answer;

beforeAll(async () => {
  server = await startStandInNode((req, body, res) => {
    seen.push({ method: req.method, url: req.url, authorization: req.headers.authorization, body });
    answer(req, body, res);
  });
  base = server.base;
});
afterAll(() => server.close());
beforeEach(() => (seen = []));

/** A stand-in node: tokens a1, a2, ... ; refresh tokens r1, r2, ...; `valid` is the access token it accepts. */
function node() {
  const state = { issued: 0, valid: '' };
  answer = (req, body, res) => {
    if (req.url === '/api/v1/auth/login') {
      const { password } = JSON.parse(body);
      if (password !== 'Right-Passw0rd!') return answerJson(res, 401, { statusCode: 401, message: 'wrong user name or password' });
    } else if (req.url === '/api/v1/auth/refresh') {
      if (JSON.parse(body).refreshToken !== `r${state.issued}`) return answerJson(res, 401, { statusCode: 401, message: 'not valid' });
    } else if (req.url === '/api/v1/auth/logout') {
      res.writeHead(204);
      return res.end();
    } else {
      if (req.headers.authorization !== `Bearer ${state.valid}`)
        return answerJson(res, 401, { statusCode: 401, message: 'the access token is invalid or has expired' });
      return answerJson(res, 200, {
        id: 'u1',
        username: 'li.wei',
        node: '330106',
        roles: [{ role: 'county-operator', institutionId: null }],
        code: '330106',
        level: 'county',
        children: [],
        parent: null,
        publicKey: 'k',
      });
    }
    state.issued++;
    state.valid = `a${state.issued}`;
    answerJson(res, 200, { accessToken: state.valid, refreshToken: `r${state.issued}`, expiresIn: 900 });
  };
  return state;
}

function io(env: Record<string, string>, now = () => Date.now()) {
  const out = {
    text: '',
    isTTY: false,
    write(s: string) {
      this.text += s;
    },
  };
  const err = {
    text: '',
    write(s: string) {
      this.text += s;
    },
  };
  return { out, err, env, now, readSecret: async () => 'Right-Passw0rd!' };
}

describe('tdx login and the stored session', () => {
  it('signs in, keeps the session in a 0600 file, and sends its token', async () => {
    const state = node();
    const env = { XDG_CONFIG_HOME: mkdtempSync(join(tmpdir(), 'tdx-cfg-')) };
    const login = io(env);
    expect(await run(['login', '--username', 'li.wei', '--node', base], login)).toBe(0);
    expect(login.out.text).toContain(`signed in to ${base} (node 330106) as li.wei: county-operator`);
    const path = credentialsPath(env);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(env.XDG_CONFIG_HOME, 'tdx')).mode & 0o777).toBe(0o700);
    expect(JSON.parse(readFileSync(path, 'utf8')).nodes[base]).toMatchObject({ username: 'li.wei', accessToken: 'a1', refreshToken: 'r1' });
    expect(JSON.parse(seen[0].body)).toEqual({ username: 'li.wei', password: 'Right-Passw0rd!' });

    seen = [];
    expect(await run(['node', '--node', base], io(env))).toBe(0);
    expect(seen.map((s) => [s.url, s.authorization])).toEqual([['/api/v1/node', `Bearer ${state.valid}`]]);
  });

  it('refreshes an expired access token first, and after a 401 once', async () => {
    const state = node();
    const env = { XDG_CONFIG_HOME: mkdtempSync(join(tmpdir(), 'tdx-cfg-')) };
    expect(await run(['login', '--username', 'li.wei', '--node', base], io(env))).toBe(0);
    seen = [];
    // Twenty minutes later the 15-minute token has expired: refresh, then the request.
    expect(
      await run(
        ['node', '--node', base],
        io(env, () => Date.now() + 20 * 60_000),
      ),
    ).toBe(0);
    expect(seen.map((s) => s.url)).toEqual(['/api/v1/auth/refresh', '/api/v1/node']);
    expect(JSON.parse(readFileSync(credentialsPath(env), 'utf8')).nodes[base]).toMatchObject({ accessToken: 'a2', refreshToken: 'r2' });

    // The node no longer takes the stored token (restarted, revoked): one refresh and a retry.
    state.valid = 'something-else';
    seen = [];
    expect(await run(['node', '--node', base], io(env))).toBe(0);
    expect(seen.map((s) => s.url)).toEqual(['/api/v1/node', '/api/v1/auth/refresh', '/api/v1/node']);
  });

  it('exit 4 with what to do when not signed in or the session has ended', async () => {
    node();
    const env = { XDG_CONFIG_HOME: mkdtempSync(join(tmpdir(), 'tdx-cfg-')) };
    const none = io(env);
    expect(await run(['node', '--node', base], none)).toBe(4);
    expect(none.err.text).toContain(`run tdx login --node ${base}`);

    const state = node();
    expect(await run(['login', '--username', 'li.wei', '--node', base], io(env))).toBe(0);
    state.issued = 99; // the node has revoked the session: refresh fails
    state.valid = 'other';
    const ended = io(env);
    expect(await run(['node', '--node', base, '--json'], ended)).toBe(4);
    expect(JSON.parse(ended.out.text).error).toMatchObject({ kind: 'unauthenticated', exitCode: 4 });
    expect(ended.err.text).toContain('has ended');
    expect(JSON.parse(readFileSync(credentialsPath(env), 'utf8')).nodes[base]).toBeUndefined();
  });

  it('a wrong password: exit 4, nothing stored', async () => {
    node();
    const env = { XDG_CONFIG_HOME: mkdtempSync(join(tmpdir(), 'tdx-cfg-')) };
    const wrong = { ...io(env), readSecret: async () => 'Wrong-Passw0rd!' };
    expect(await run(['login', '--username', 'li.wei', '--node', base], wrong)).toBe(4);
    expect(wrong.err.text).toContain('wrong user name or password');
    expect(() => readFileSync(credentialsPath(env))).toThrow();
  });

  it('--token and TDX_TOKEN are sent as they are, without a stored session', async () => {
    const state = node();
    state.valid = 'given-token';
    const env = { XDG_CONFIG_HOME: mkdtempSync(join(tmpdir(), 'tdx-cfg-')) };
    expect(await run(['node', '--node', base, '--token', 'given-token'], io(env))).toBe(0);
    expect(await run(['node', '--node', base], io({ ...env, TDX_TOKEN: 'given-token' }))).toBe(0);
    expect(seen.map((s) => s.authorization)).toEqual(['Bearer given-token', 'Bearer given-token']);
    const refused = io({ ...env, TDX_TOKEN: 'stale' });
    expect(await run(['node', '--node', base], refused)).toBe(4);
    expect(refused.err.text).toContain('TDX_TOKEN');
  });

  it('logout ends the session at the node and forgets it', async () => {
    node();
    const env = { XDG_CONFIG_HOME: mkdtempSync(join(tmpdir(), 'tdx-cfg-')) };
    expect(await run(['login', '--username', 'li.wei', '--node', base], io(env))).toBe(0);
    seen = [];
    expect(await run(['logout', '--node', base], io(env))).toBe(0);
    expect(seen).toMatchObject([{ url: '/api/v1/auth/logout', body: JSON.stringify({ refreshToken: 'r1' }) }]);
    expect(JSON.parse(readFileSync(credentialsPath(env), 'utf8')).nodes).toEqual({});
  });
});
