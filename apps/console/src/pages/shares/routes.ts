import { lazy } from 'react';
import type { PageRoute } from '../../app/page-route';

const SharesPage = lazy(() => import('./SharesPage').then((m) => ({ default: m.SharesPage })));
const ShareDetailPage = lazy(() => import('./ShareDetailPage').then((m) => ({ default: m.ShareDetailPage })));

export const sharesRoutes: PageRoute[] = [
  { path: '/shares', permission: 'shares:read', page: SharesPage, nav: 'shares.nav' },
  { path: '/shares/:id', permission: 'shares:read', page: ShareDetailPage },
];
