import type { PageRoute } from './page-route';
import { overviewRoutes } from '../pages/overview/routes';
import { moveRoutes } from '../pages/returns/routes';

// Each area of the console lists its pages in pages/<area>/routes.ts; the navigation follows this order.
export const ROUTES: PageRoute[] = [...overviewRoutes, ...moveRoutes];
