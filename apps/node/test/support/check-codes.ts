/**
 * Valid unified social credit codes and resident ID numbers for tests, by a plain second
 * implementation of each standard's check character (GB 32100-2015 MOD 31; GB 11643 MOD 11-2).
 */
const USCC_SET = '0123456789ABCDEFGHJKLMNPQRTUWXY';

export function usccOf(first17: string): string {
  const weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += USCC_SET.indexOf(first17[i]) * weights[i];
  const c = 31 - (sum % 31);
  return first17 + USCC_SET[c === 31 ? 0 : c];
}

export function residentIdOf(first17: string): string {
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * weights[i];
  return first17 + ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'][sum % 11];
}

/** The same number with another check character: fails the check. */
export function withWrongCheck(code: string): string {
  return code.slice(0, -1) + (code.endsWith('0') ? '1' : '0');
}
