import { linkHealth } from './link-health';

describe('link health', () => {
  const now = Date.parse('2026-12-05T12:00:00.000Z');
  const seen = (secondsAgo: number | null, status = 'approved', intervalSeconds = 10) =>
    linkHealth({ status, intervalSeconds, lastSeenAt: secondsAgo === null ? null : new Date(now - secondsAgo * 1000).toISOString() }, now);

  it('is healthy up to three silent intervals, stale up to twelve, down after that or when never seen', () => {
    expect(seen(0)).toBe('healthy');
    expect(seen(30)).toBe('healthy');
    expect(seen(31)).toBe('stale');
    expect(seen(120)).toBe('stale');
    expect(seen(121)).toBe('down');
    expect(seen(null)).toBe('down');
  });

  it("judges silence by the child's own interval", () => {
    expect(seen(31, 'approved', 60)).toBe('healthy');
    expect(seen(4, 'approved', 1)).toBe('stale');
  });

  it('names a join waiting for an operator and a revoked child whatever was seen of them', () => {
    expect(seen(0, 'pending')).toBe('pending-approval');
    expect(seen(null, 'pending')).toBe('pending-approval');
    expect(seen(0, 'revoked')).toBe('revoked');
  });
});
