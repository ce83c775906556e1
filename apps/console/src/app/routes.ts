import type { PageRoute } from './page-route';
import { catalogAreaRoutes } from '../pages/catalog/routes';
import { overviewRoutes } from '../pages/overview/routes';
import { moveRoutes } from '../pages/returns/routes';
import { federationRoutes } from '../pages/federation/routes';
import { auditRoutes } from '../pages/audit/routes';

// Each area of the console lists its pages in pages/<area>/routes.ts; the navigation follows this order.
export const ROUTES: PageRoute[] = [...overviewRoutes, ...catalogAreaRoutes, ...moveRoutes, ...federationRoutes, ...auditRoutes];
