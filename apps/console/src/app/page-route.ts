import type { ComponentType, LazyExoticComponent } from 'react';
import type { MessageKey } from '../i18n/i18n';
import type { Permission } from '../session/session';

/** One page of the console: where it lives, who may see it, and its place in the navigation. */
export interface PageRoute {
  /** `/catalog/:id`: parameters reach the page as `params`. */
  path: string;
  /** The permission the page's main call needs (the navigation and the page are hidden without it). */
  permission: Permission;
  page: LazyExoticComponent<ComponentType<PageProps>> | ComponentType<PageProps>;
  /** Shown in the navigation under this label; pages without one (details) are reached by links. */
  nav?: MessageKey;
  /** Only at nodes of these tiers (the federation's approvals, say, at a parent only). */
  levels?: ('province' | 'city' | 'county')[];
}

export interface PageProps {
  params: Record<string, string>;
}
