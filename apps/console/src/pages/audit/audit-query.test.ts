import { describe, expect, it } from 'vitest';
import { auditQueryOf, downloadNameOf, exportQueryOf, NO_FILTERS, shanghaiIso } from './audit-query';

describe('audit filters -> query', () => {
  it('leaves blank filters out and keeps the order and page size', () => {
    expect(auditQueryOf(NO_FILTERS)).toEqual({ limit: 50, order: 'desc' });
  });

  it('trims text, passes each filter under its name, and the cursor of the page', () => {
    const query = auditQueryOf({ ...NO_FILTERS, actor: ' user:admin ', action: 'replication.*', target: '330100', outcome: '403', order: 'asc' }, 'c1');
    expect(query).toEqual({ limit: 50, order: 'asc', actor: 'user:admin', action: 'replication.*', target: '330100', outcome: '403', cursor: 'c1' });
  });

  it('reads the times in Beijing time and sends them with their offset', () => {
    expect(shanghaiIso('2026-12-06T08:30')).toBe('2026-12-06T08:30:00+08:00');
    expect(shanghaiIso('')).toBeUndefined();
    expect(shanghaiIso('yesterday')).toBeUndefined();
    const filters = { ...NO_FILTERS, from: '2026-12-06T08:00', to: '2026-12-07T08:00', action: 'x' };
    expect(auditQueryOf(filters)).toMatchObject({ from: '2026-12-06T08:00:00+08:00', to: '2026-12-07T08:00:00+08:00' });
    // The export takes the range only.
    expect(exportQueryOf(filters)).toEqual({ from: '2026-12-06T08:00:00+08:00', to: '2026-12-07T08:00:00+08:00' });
    expect(exportQueryOf(NO_FILTERS)).toEqual({});
  });

  it('takes the export’s file name from the node', () => {
    expect(downloadNameOf('attachment; filename="audit-1-40.ndjson"', 'x')).toBe('audit-1-40.ndjson');
    expect(downloadNameOf(null, 'audit.ndjson')).toBe('audit.ndjson');
  });
});
