import { residentIdOf, usccOf } from '../../test/support/check-codes';
import { isCalendarDate, isDivisionCodeValue, isResidentId, isTimestamp, isUscc } from './validators';

/*
 * Valid codes are made here by a second, plainly written implementation of each standard's check
 * (not the module's), and published examples are checked too.
 */

const USCC_SET = '0123456789ABCDEFGHJKLMNPQRTUWXY';

describe('unified social credit codes (GB 32100-2015)', () => {
  it('takes codes with their check character', () => {
    expect(isUscc('91350100M000100Y43')).toBe(true); // the standard's worked example
    for (const body of ['91330106MA2B3C4D5', '12330000470051726', '91330100143032465', '5233010072X8Y0QN1']) {
      expect(isUscc(usccOf(body))).toBe(true);
    }
  });

  it('refuses a wrong check character, a letter outside the set, a bad length or non-digits in the division part', () => {
    const good = usccOf('91330106MA2B3C4D5');
    const wrong = good.slice(0, 17) + USCC_SET[(USCC_SET.indexOf(good[17]) + 1) % 31];
    expect(isUscc(wrong)).toBe(false);
    expect(isUscc(usccOf('91330106MA2B3C4DI'.slice(0, 17)))).toBe(false); // I is not in the set
    expect(isUscc(good.slice(0, 17))).toBe(false);
    expect(isUscc(usccOf('913301A6MA2B3C4D5'))).toBe(false);
    expect(isUscc(good.toLowerCase())).toBe(false);
  });
});

describe('resident identity numbers (GB 11643, MOD 11-2)', () => {
  const today = new Date('2026-06-01T00:00:00Z');
  it('takes numbers with their check character and a real birth date', () => {
    expect(isResidentId('11010519491231002X', today)).toBe(true); // the standard's example
    for (const body of ['33010619900101123', '33010220000229456', '33108119851231001']) expect(isResidentId(residentIdOf(body), today)).toBe(true);
  });

  it('refuses a wrong check digit, an impossible or future birth date, an unknown province, a bad form', () => {
    const good = residentIdOf('33010619900101123');
    expect(isResidentId(good.slice(0, 17) + (good[17] === '0' ? '1' : '0'), today)).toBe(false);
    expect(isResidentId(residentIdOf('33010619900230123'), today)).toBe(false);
    expect(isResidentId(residentIdOf('33010620270101123'), today)).toBe(false);
    expect(isResidentId(residentIdOf('33010618991231123'), today)).toBe(false);
    expect(isResidentId(residentIdOf('99010619900101123'), today)).toBe(false);
    expect(isResidentId(good.slice(0, 17) + 'x', today)).toBe(false);
    expect(isResidentId(good.slice(1), today)).toBe(false);
  });
});

describe('division codes', () => {
  it('takes the Zhejiang divisions and well-formed codes of other provinces', () => {
    for (const code of ['330000', '330100', '330106', '330212', '110105', '440300']) expect(isDivisionCodeValue(code)).toBe(true);
  });
  it('refuses unknown Zhejiang codes, unknown provinces and bad forms', () => {
    for (const code of ['339999', '330199', '990000', '000000', '33010', '3301061', '33O106']) expect(isDivisionCodeValue(code)).toBe(false);
  });
});

describe('dates and timestamps', () => {
  it('takes real calendar days', () => {
    for (const d of ['2024-02-29', '2000-02-29', '2023-12-31', '0001-01-01']) expect(isCalendarDate(d)).toBe(true);
  });
  it('refuses impossible days and other forms', () => {
    for (const d of ['2023-02-29', '1900-02-29', '2023-04-31', '2023-13-01', '2023-00-10', '2023-1-01', '20230101', '2023/01/01'])
      expect(isCalendarDate(d)).toBe(false);
  });
  it('takes ISO 8601 timestamps and refuses impossible ones', () => {
    for (const t of ['2024-02-29T23:59:59Z', '2024-01-01T08:00:00+08:00', '2024-01-01T08:00', '2024-01-01 08:00:00.123456']) expect(isTimestamp(t)).toBe(true);
    for (const t of [
      '2023-02-29T00:00:00Z',
      '2024-01-01T24:00:00Z',
      '2024-01-01T10:60:00Z',
      '2024-01-01T10:00:61Z',
      '2024-01-01',
      '2024-01-01T10:00:00+25:00',
    ]) {
      expect(isTimestamp(t)).toBe(false);
    }
  });
});
