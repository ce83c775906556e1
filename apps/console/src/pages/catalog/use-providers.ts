import { useEffect, useState } from 'react';
import type { ApiClient } from '../../api/client';
import type { Provider } from './EntryForm';

/** The active institutions registered at this node: an entry's provider must be one of them. */
export function useProviders(api: ApiClient): Provider[] {
  const [providers, setProviders] = useState<Provider[]>([]);
  useEffect(() => {
    const abort = new AbortController();
    api
      .call('GET /api/v1/institutions', { query: { scope: 'local', limit: 500 }, signal: abort.signal })
      .then((page) => setProviders(page.items.filter((i) => i.status === 'active').map((i) => ({ id: i.id, name: i.name }))))
      // Without the list the form still works: the API names a wrong provider beside its field.
      .catch(() => undefined);
    return () => abort.abort();
  }, [api]);
  return providers;
}
