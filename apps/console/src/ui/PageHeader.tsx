import type { ReactNode } from 'react';

/** The page's one h1 (screen readers announce it on every change of page), and its actions. */
export function PageHeader({ title, actions }: { title: string; actions?: ReactNode }) {
  return (
    <header className="page-header">
      <h1 tabIndex={-1} id="page-title">
        {title}
      </h1>
      {actions && <div className="page-actions">{actions}</div>}
    </header>
  );
}
