import { Suspense, useEffect } from 'react';
import { I18nProvider, useI18n } from '../i18n/i18n';
import { SessionProvider, useSession } from '../session/session';
import { SignInForm } from '../session/SignInForm';
import { Dialog } from '../ui/ConfirmDialog';
import { PageHeader } from '../ui/PageHeader';
import { Layout } from './Layout';
import { matchPath, RouterProvider, useRouter } from './router';
import { ROUTES } from './routes';
import { SignInPage } from './SignInPage';
import type { PageRoute } from './page-route';

/** The pages this account may open at this node (the API would refuse the others). */
export function allowedRoutes(routes: PageRoute[], can: (permission: PageRoute['permission']) => boolean, level: string): PageRoute[] {
  return routes.filter((r) => can(r.permission) && (!r.levels || r.levels.includes(level as 'province')));
}

function Pages() {
  const { t } = useI18n();
  const { can, node } = useSession();
  const { path, navigate } = useRouter();
  const allowed = allowedRoutes(ROUTES, can, node.level);
  const found = allowed.map((route) => ({ route, params: matchPath(route.path, path) })).find((m) => m.params);
  const exists = ROUTES.some((route) => matchPath(route.path, path));
  // An account without the overview (an auditor) starts at the first page it may open.
  const start = !found && path === '/' ? allowed.find((r) => r.nav && !r.path.includes(':')) : undefined;
  useEffect(() => {
    if (start) navigate(start.path, { replace: true });
  }, [start, navigate]);
  let content;
  if (found) {
    const Page = found.route.page;
    content = (
      <Suspense fallback={<p>{t('app.loading')}</p>}>
        <Page params={found.params!} />
      </Suspense>
    );
  } else content = <PageHeader title={exists ? t('app.notAllowed') : t('app.notFound')} />;
  return <Layout routes={allowed}>{content}</Layout>;
}

function Expired({ onSignedIn }: { onSignedIn: Parameters<typeof SignInForm>[0]['onSignedIn'] }) {
  const { t } = useI18n();
  const { me } = useSession();
  return (
    <Dialog title={t('signIn.expiredTitle')} onClose={() => undefined} actions={null}>
      <p>{t('signIn.expiredHint')}</p>
      <SignInForm onSignedIn={onSignedIn} fixedUser={me.username} />
    </Dialog>
  );
}

function Starting() {
  const { t } = useI18n();
  return <p className="starting">{t('app.loading')}</p>;
}

export function App() {
  return (
    <I18nProvider>
      <RouterProvider>
        <SessionProvider
          renderStarting={() => <Starting />}
          renderSignIn={(signedIn) => <SignInPage onSignedIn={signedIn} />}
          renderExpired={(signedIn) => <Expired onSignedIn={signedIn} />}
        >
          <Pages />
        </SessionProvider>
      </RouterProvider>
    </I18nProvider>
  );
}
