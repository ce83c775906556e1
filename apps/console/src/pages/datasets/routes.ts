import { lazy } from 'react';
import type { PageRoute } from '../../app/page-route';

const LoadDataPage = lazy(() => import('./LoadDataPage').then((m) => ({ default: m.LoadDataPage })));

/** Reached from an entry's page (no navigation label): the dataset of that entry. */
export const datasetsRoutes: PageRoute[] = [{ path: '/datasets/:entryId', permission: 'datasets:write', page: LoadDataPage }];
