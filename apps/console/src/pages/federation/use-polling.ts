import { useCallback, useEffect, useRef, useState } from 'react';
import { formErrorsOf, type FormErrors } from '../../api/field-errors';

/**
 * Loads now and again every `intervalMs` while the page is open (and visible: a hidden tab does not
 * keep asking). A failed refresh keeps the last data and shows the error beside it.
 */
export function usePolling<T>(load: (signal: AbortSignal) => Promise<T>, intervalMs: number) {
  const [data, setData] = useState<T | undefined>();
  const [error, setError] = useState<FormErrors | undefined>();
  const [loadedAt, setLoadedAt] = useState<Date | undefined>();
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  useEffect(() => {
    const abort = new AbortController();
    loadRef
      .current(abort.signal)
      .then((value) => {
        setData(value);
        setError(undefined);
        setLoadedAt(new Date());
      })
      .catch((e: unknown) => {
        if ((e as Error).name !== 'AbortError') setError(formErrorsOf(e));
      });
    return () => abort.abort();
  }, [tick]);

  useEffect(() => {
    const timer = setInterval(() => {
      if (document.visibilityState !== 'hidden') setTick((n) => n + 1);
    }, intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);

  return { data, error, loadedAt, reload: useCallback(() => setTick((n) => n + 1), []) };
}
