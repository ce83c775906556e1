import { lazy } from 'react';
import type { PageRoute } from '../../app/page-route';
import { accountsRoutes } from '../accounts/routes';
import { sharesRoutes } from '../shares/routes';

const ReturnsPage = lazy(() => import('./ReturnsPage').then((m) => ({ default: m.ReturnsPage })));
const ReturnDetailPage = lazy(() => import('./ReturnDetailPage').then((m) => ({ default: m.ReturnDetailPage })));

export const returnsRoutes: PageRoute[] = [
  { path: '/returns', permission: 'returns:read', page: ReturnsPage, nav: 'returns.nav' },
  { path: '/returns/:id', permission: 'returns:read', page: ReturnDetailPage },
];

/** The move-data area (returns, shares) and the accounts pages, listed once in app/routes.ts. */
export const moveRoutes: PageRoute[] = [...returnsRoutes, ...sharesRoutes, ...accountsRoutes];
