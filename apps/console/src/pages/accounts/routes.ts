import { lazy } from 'react';
import type { PageRoute } from '../../app/page-route';

const AccountsPage = lazy(() => import('./AccountsPage').then((m) => ({ default: m.AccountsPage })));
const PasswordPage = lazy(() => import('./PasswordPage').then((m) => ({ default: m.PasswordPage })));

export const accountsRoutes: PageRoute[] = [
  { path: '/accounts', permission: 'accounts:manage', page: AccountsPage, nav: 'accounts.nav' },
  // Reached from the header's "change password" button, so no navigation entry.
  { path: '/account/password', permission: 'self', page: PasswordPage },
];
