import { useEffect, type ReactNode } from 'react';
import { useI18n } from '../i18n/i18n';
import { useSession } from '../session/session';
import { LanguageSwitch } from './LanguageSwitch';
import type { PageRoute } from './page-route';
import { Link, useRouter } from './router';

/** Header (node, user, language), the navigation of what this account may open, and the page. */
export function Layout({ routes, children }: { routes: PageRoute[]; children: ReactNode }) {
  const { t } = useI18n();
  const { me, node, signOut } = useSession();
  const { path, navigate } = useRouter();
  const visible = routes.filter((r) => r.nav);
  // A new page: move focus to its heading, so keyboard and screen-reader users start there.
  useEffect(() => document.getElementById('page-title')?.focus({ preventScroll: true }), [path]);
  return (
    <>
      <a className="skip-link" href="#main">
        {t('app.skipToContent')}
      </a>
      <header className="top-bar">
        <span className="brand">{t('app.title')}</span>
        <span className="node-name">
          {t('app.node', { name: node.name, code: node.code })} · {t(`level.${node.level}`)}
        </span>
        <span className="spacer" />
        <LanguageSwitch />
        <span className="user">{t('app.signedInAs', { user: me.username })}</span>
        <button type="button" className="link-button" onClick={() => navigate('/account/password')}>
          {t('app.changePassword')}
        </button>
        <button type="button" className="link-button" onClick={() => void signOut()}>
          {t('app.signOut')}
        </button>
      </header>
      <div className="shell">
        <nav className="side-nav" aria-label={t('app.mainNavigation')}>
          <ul>
            {visible.map((r) => (
              <li key={r.path}>
                <Link to={r.path}>{t(r.nav!)}</Link>
              </li>
            ))}
          </ul>
        </nav>
        <main id="main" className="content">
          {children}
        </main>
      </div>
    </>
  );
}
