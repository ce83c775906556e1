import { lazy } from 'react';
import type { PageRoute } from '../../app/page-route';
import { datasetsRoutes } from '../datasets/routes';
import { institutionsRoutes } from '../institutions/routes';

const CatalogPage = lazy(() => import('./CatalogPage').then((m) => ({ default: m.CatalogPage })));
const EntryDetailPage = lazy(() => import('./EntryDetailPage').then((m) => ({ default: m.EntryDetailPage })));
const NewEntryPage = lazy(() => import('./EntryFormPage').then((m) => ({ default: m.NewEntryPage })));
const EditEntryPage = lazy(() => import('./EntryFormPage').then((m) => ({ default: m.EditEntryPage })));

// `/catalog/new` before `/catalog/:id`: the first route that matches is taken.
export const catalogRoutes: PageRoute[] = [
  { path: '/catalog', permission: 'catalog:read', page: CatalogPage, nav: 'catalog.nav' },
  { path: '/catalog/new', permission: 'catalog:write', page: NewEntryPage },
  { path: '/catalog/:id', permission: 'catalog:read', page: EntryDetailPage },
  { path: '/catalog/:id/edit', permission: 'catalog:write', page: EditEntryPage },
];

/** The catalog area's pages with the institutions' and the datasets' (one line in app/routes.ts). */
export const catalogAreaRoutes: PageRoute[] = [...catalogRoutes, ...institutionsRoutes, ...datasetsRoutes];
