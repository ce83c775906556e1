import type { ReactNode } from 'react';
import { ApiClient } from '../../api/client';
import { I18nProvider, type Locale } from '../../i18n/i18n';
import type { Me, NodeInfo, Session } from '../../session/session';

/** One recorded request of a component test: what the page sent. */
export interface SentRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
}

type Answer = { status: number; body?: unknown } | ((request: SentRequest) => { status: number; body?: unknown });

/**
 * A session for component tests over a fake `fetch` answering "METHOD /path" (the query ignored);
 * requests without an answer fail the way an unreachable node does. Tests mock `useSession` with it
 * (the session context is not exported on main yet).
 */
export function fakeSession(answers: Record<string, Answer>, options: { permissions?: string[]; level?: NodeInfo['level']; code?: string } = {}) {
  const sent: SentRequest[] = [];
  const fetcher: typeof fetch = async (input, init) => {
    const url = new URL(String(input), 'http://node.test');
    const request: SentRequest = {
      method: init?.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      body: init?.body ? JSON.parse(String(init.body)) : undefined,
    };
    sent.push(request);
    const answer = answers[`${request.method} ${request.path}`];
    if (!answer) throw new TypeError(`no fake answer for ${request.method} ${request.path}`);
    const { status, body } = typeof answer === 'function' ? answer(request) : answer;
    return new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  };
  const api = new ApiClient({ accessToken: () => 'token', refresh: () => Promise.resolve(false), expired: () => Promise.resolve() }, fetcher);
  const permissions = new Set(options.permissions ?? []);
  const code = options.code ?? '330106';
  const session: Session = {
    api,
    me: {
      id: 'a',
      username: 'tester',
      disabled: false,
      roles: [],
      createdBy: 'bootstrap',
      createdAt: '',
      updatedAt: '',
      permissions: [...permissions],
    } as unknown as Me,
    node: { code, name: 'Test node', level: options.level ?? 'county', parent: { code: '330100', name: 'City' }, publicKey: 'k' } as unknown as NodeInfo,
    can: (p) => permissions.has(p),
    signOut: () => Promise.resolve(),
  };
  return { session, sent };
}

export function inLocale(locale: Locale, children: ReactNode) {
  return <I18nProvider locale={locale}>{children}</I18nProvider>;
}

/** A 400 naming fields, as the node's validation pipe sends it. */
export function badRequest(fields: Record<string, string>) {
  return {
    status: 400,
    body: {
      statusCode: 400,
      error: 'Bad Request',
      message: 'invalid',
      fields: Object.entries(fields).map(([field, message]) => ({ field, messages: [message] })),
    },
  };
}

/** A 422: a rule of the regulation refused. */
export function refused(rule: string, message: string, article: string) {
  return { status: 422, body: { statusCode: 422, error: 'Unprocessable Entity', message, rule, refusals: [{ rule, message, article }] } };
}
