import { lazy } from 'react';
import type { PageRoute } from '../../app/page-route';

const FederationPage = lazy(() => import('./FederationPage').then((m) => ({ default: m.FederationPage })));

export const federationRoutes: PageRoute[] = [{ path: '/federation', permission: 'federation:read', page: FederationPage, nav: 'federation.nav' }];
