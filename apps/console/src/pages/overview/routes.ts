import type { PageRoute } from '../../app/page-route';
import { OverviewPage } from './OverviewPage';

export const overviewRoutes: PageRoute[] = [{ path: '/', permission: 'node:read', page: OverviewPage, nav: 'nav.overview' }];
