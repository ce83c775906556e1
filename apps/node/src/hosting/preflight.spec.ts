import { capacityWarnings } from './preflight';

describe('capacityWarnings', () => {
  it('warns of a PostgreSQL server that takes fewer connections than the pools of the nodes on it, and of no other', () => {
    const city = Array.from({ length: 14 }, () => ({ server: 'db-a:5432', usable: 97 }));
    const small = Array.from({ length: 3 }, () => ({ server: 'db-b:5432', usable: 97 }));
    const warnings = capacityWarnings([...city, ...small, { server: 'db-c:5432' }]);
    expect(warnings).toEqual([
      expect.stringMatching(/^PostgreSQL at db-a:5432 accepts 97 connections .* the 14 nodes on it may open 140 \(10 each\).*raise max_connections$/),
    ]);
  });
});
