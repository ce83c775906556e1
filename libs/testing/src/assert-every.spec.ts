import { assertEvery } from './assert-every';

describe('assertEvery', () => {
  it('passes when there are items and every one passes', () => {
    expect(() => assertEvery([2, 4], (n) => n % 2 === 0, 'even numbers')).not.toThrow();
  });

  it('fails on an empty list, which .every alone would let pass', () => {
    expect(() => assertEvery([], () => true, 'audit records')).toThrow('expected at least one audit records, got none');
  });

  it('names the items that fail', () => {
    expect(() => assertEvery([1, 2, 3], (n) => n < 2, 'small numbers')).toThrow('2 of 3 small numbers do not pass, for example: [2,3]');
  });
});
