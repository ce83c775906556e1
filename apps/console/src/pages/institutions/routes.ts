import { lazy } from 'react';
import type { PageRoute } from '../../app/page-route';

const InstitutionsPage = lazy(() => import('./InstitutionsPage').then((m) => ({ default: m.InstitutionsPage })));

export const institutionsRoutes: PageRoute[] = [{ path: '/institutions', permission: 'institutions:read', page: InstitutionsPage, nav: 'institutions.nav' }];
