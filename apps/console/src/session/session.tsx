import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { ApiClient, type Schemas } from '../api/client';
import { refreshSession, signOut as endSession, type AccessGrant } from './auth-api';

/** The signed-in account; `permissions` are its effective permissions at this node, as the API checks them. */
export type Me = Schemas['SessionViewDto'];
export type NodeInfo = Schemas['NodeInfoViewDto'];
export type Permission = Me['permissions'][number];

export interface Session {
  api: ApiClient;
  me: Me;
  node: NodeInfo;
  can(permission: Permission): boolean;
  signOut(): Promise<void>;
}

/** What a session without node:read knows of its node: the division code names its tier (330000, 330100, 330106). */
export function nodeFromCode(code: string): NodeInfo {
  const level = /0000$/.test(code) ? 'province' : /00$/.test(code) ? 'city' : 'county';
  return { code, name: code, level, publicKey: '', parent: null, children: [] };
}

type State = { phase: 'starting' } | { phase: 'signed-out' } | { phase: 'signed-in'; me: Me; node: NodeInfo };

const SessionContext = createContext<Session | undefined>(undefined);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside a signed-in SessionProvider');
  return session;
}

/** The session machinery without React: tokens in memory, one refresh at a time, the expiry hand-off. */
export class SessionKeeper {
  private token: string | undefined;
  private refreshing: Promise<boolean> | undefined;
  private waitingForSignIn: { promise: Promise<void>; resolve: () => void } | undefined;
  onExpired: () => void = () => undefined;
  /** Whether a signed-in console is showing (only then can an ended session be renewed in place). */
  active = false;

  readonly api = new ApiClient({
    accessToken: () => this.token,
    refresh: () => this.refresh(),
    expired: () => this.expired(),
  });

  accept(grant: AccessGrant): void {
    this.token = grant.accessToken;
    this.waitingForSignIn?.resolve();
    this.waitingForSignIn = undefined;
  }

  clear(): void {
    this.token = undefined;
  }

  refresh(): Promise<boolean> {
    this.refreshing ??= refreshSession()
      .then((grant) => {
        if (grant) this.token = grant.accessToken;
        return grant !== undefined;
      })
      .finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  /** Every request refused meanwhile waits here; the dialog's sign-in releases them all. */
  expired(): Promise<void> {
    // Before the first sign-in (or after signing out) there is no page to keep: the call just fails.
    if (!this.active) return Promise.reject(new Error('not signed in'));
    if (!this.waitingForSignIn) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.waitingForSignIn = { promise, resolve };
      this.onExpired();
    }
    return this.waitingForSignIn.promise;
  }

  get waiting(): boolean {
    return this.waitingForSignIn !== undefined;
  }
}

/**
 * Holds the session: at start it tries the refresh cookie (a reload keeps the user signed in);
 * `renderSignIn` shows the sign-in page when there is none, `renderExpired` the dialog over the
 * page when it ends while the user works (the page, and the form being filled in, stay mounted).
 */
export function SessionProvider({
  children,
  renderSignIn,
  renderExpired,
  renderStarting,
}: {
  children: ReactNode;
  renderSignIn: (signedIn: (grant: AccessGrant) => Promise<void>) => ReactNode;
  renderExpired: (signedIn: (grant: AccessGrant) => Promise<void>) => ReactNode;
  renderStarting: () => ReactNode;
}) {
  const keeper = useRef(new SessionKeeper()).current;
  const [state, setState] = useState<State>({ phase: 'starting' });
  const [expired, setExpired] = useState(false);
  keeper.onExpired = () => setExpired(true);

  const load = useCallback(async () => {
    const me = await keeper.api.call('GET /api/v1/auth/me');
    // An auditor may read the audit log and nothing else, not even GET /api/v1/node: it gets the
    // node's code (from its account) and the tier the code names, which is all the layout shows.
    const node = me.permissions.includes('node:read') ? await keeper.api.call('GET /api/v1/node') : nodeFromCode(me.node);
    keeper.active = true;
    setState({ phase: 'signed-in', me, node });
  }, [keeper]);

  useEffect(() => {
    void (async () => {
      if (await keeper.refresh()) await load().catch(() => setState({ phase: 'signed-out' }));
      else setState({ phase: 'signed-out' });
    })();
  }, [keeper, load]);

  const signedIn = useCallback(
    async (grant: AccessGrant) => {
      keeper.accept(grant);
      setExpired(false);
      await load();
    },
    [keeper, load],
  );

  const signOut = useCallback(async () => {
    await endSession();
    keeper.clear();
    keeper.active = false;
    setState({ phase: 'signed-out' });
  }, [keeper]);

  const session = useMemo<Session | undefined>(() => {
    if (state.phase !== 'signed-in') return undefined;
    const permissions = new Set<string>(state.me.permissions);
    return { api: keeper.api, me: state.me, node: state.node, can: (p) => permissions.has(p), signOut };
  }, [state, keeper, signOut]);

  if (state.phase === 'starting') return <>{renderStarting()}</>;
  if (!session) return <>{renderSignIn(signedIn)}</>;
  return (
    <SessionContext.Provider value={session}>
      {children}
      {expired && renderExpired(signedIn)}
    </SessionContext.Provider>
  );
}

/** What a component test needs to say about its session; the rest gets plausible defaults. */
export interface SessionTestOptions {
  /** Answers the API client's requests (a fake fetch); unanswered calls fail the test loudly. */
  fetch?: typeof fetch;
  permissions?: string[];
  me?: Partial<Me>;
  node?: Partial<NodeInfo>;
  signOut?: () => Promise<void>;
}

/**
 * A fixed signed-in session for component tests: an ApiClient over the given fake fetch (no refresh,
 * no expiry: a 401 is a plain ApiError), the account with `permissions`, a county node by default.
 */
export function SessionTestProvider({ children, ...options }: SessionTestOptions & { children: ReactNode }) {
  // Built once: a test's session does not change while it runs.
  const [session] = useState(() => testSession(options));
  return <SessionContext.Provider value={session}>{children}</SessionContext.Provider>;
}

export function testSession(options: SessionTestOptions = {}): Session {
  const unanswered: typeof fetch = (input) => Promise.reject(new Error(`no fake answer for ${String(input)}`));
  const api = new ApiClient(
    // No refresh and nobody to sign in again: the retried request's 401 reaches the page as an ApiError.
    { accessToken: () => 'test-token', refresh: () => Promise.resolve(false), expired: () => Promise.resolve() },
    options.fetch ?? unanswered,
  );
  const permissions = options.permissions ?? [];
  const me: Me = {
    id: '00000000-0000-4000-8000-000000000001',
    username: 'tester',
    disabled: false,
    roles: [],
    createdBy: 'bootstrap',
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    node: '330106',
    ...options.me,
    permissions,
  } as Me;
  const node: NodeInfo = {
    code: '330106',
    name: '西湖区',
    level: 'county',
    publicKey: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
    parent: null,
    children: [],
    ...options.node,
  } as NodeInfo;
  const granted = new Set(permissions);
  return { api, me, node, can: (p) => granted.has(p), signOut: options.signOut ?? (() => Promise.resolve()) };
}
