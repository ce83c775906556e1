import { lazy } from 'react';
import type { PageRoute } from '../../app/page-route';

const AuditPage = lazy(() => import('./AuditPage').then((m) => ({ default: m.AuditPage })));
const MetricsPage = lazy(() => import('./MetricsPage').then((m) => ({ default: m.MetricsPage })));

export const auditRoutes: PageRoute[] = [
  { path: '/audit', permission: 'audit:read', page: AuditPage, nav: 'audit.nav' },
  { path: '/audit/charts', permission: 'metrics:read', page: MetricsPage, nav: 'audit.charts.nav' },
];
