import { isAmount, MAX_AMOUNT } from './resources.dto';

describe('amounts of compute', () => {
  it('takes numbers from 0 to the maximum with at most three decimals', () => {
    for (const ok of [0, 1, 0.5, 1.005, 12.125, MAX_AMOUNT]) expect([ok, isAmount(ok)]).toEqual([ok, true]);
  });

  it('refuses more decimals, tiny and huge numbers, negatives and non-numbers without throwing', () => {
    // 6e-323 once threw inside the validator (no '.' in its text) and answered 500.
    for (const bad of [6e-323, 6.882279211391234e-163, 0.0001, 1.0005, -1, MAX_AMOUNT + 1, Infinity, NaN, '1', null]) {
      expect([bad, isAmount(bad)]).toEqual([bad, false]);
    }
  });
});
