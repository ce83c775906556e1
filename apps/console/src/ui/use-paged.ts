import { useCallback, useEffect, useRef, useState } from 'react';
import { formErrorsOf, type FormErrors } from '../api/field-errors';

export interface CursorPage<Row> {
  items: Row[];
  nextCursor: string | null;
}

/**
 * Cursor paging (the API's `nextCursor`): keeps the cursors of the pages seen, so "previous" goes
 * back without the API having to page backwards. `load` changes (new filters) start from page 1.
 */
export function usePaged<Row>(load: (cursor: string | undefined, signal: AbortSignal) => Promise<CursorPage<Row>>) {
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const [page, setPage] = useState<CursorPage<Row>>({ items: [], nextCursor: null });
  const [busy, setBusy] = useState(true);
  const [error, setError] = useState<FormErrors | undefined>();
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);

  if (loadRef.current !== load) {
    loadRef.current = load;
    if (cursors.length !== 1) setCursors([undefined]);
  }

  const cursor = cursors[cursors.length - 1];
  useEffect(() => {
    const abort = new AbortController();
    setBusy(true);
    load(cursor, abort.signal)
      .then((result) => {
        setPage(result);
        setError(undefined);
      })
      .catch((e: unknown) => {
        if ((e as Error).name !== 'AbortError') setError(formErrorsOf(e));
      })
      .finally(() => !abort.signal.aborted && setBusy(false));
    return () => abort.abort();
  }, [load, cursor, tick]);

  return {
    rows: page.items,
    busy,
    error,
    page: cursors.length,
    hasPrevious: cursors.length > 1,
    hasNext: page.nextCursor !== null,
    next: useCallback(() => page.nextCursor && setCursors((c) => [...c, page.nextCursor!]), [page.nextCursor]),
    previous: useCallback(() => setCursors((c) => (c.length > 1 ? c.slice(0, -1) : c)), []),
    reload: useCallback(() => setTick((n) => n + 1), []),
  };
}
