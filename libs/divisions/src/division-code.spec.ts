import { isDirectChild, isStrictlyBelow, isWithin, levelOf } from './division-code';
import { countiesOf, findDivision } from './zhejiang';

describe('division codes', () => {
  it('derives the level from the code', () => {
    expect(levelOf('330000')).toBe('province');
    expect(levelOf('330100')).toBe('city');
    expect(levelOf('330106')).toBe('county');
    expect(() => levelOf('33010')).toThrow(RangeError);
    expect(() => levelOf('abcdef')).toThrow(RangeError);
  });

  it('decides jurisdiction by the shared prefix', () => {
    expect(isWithin('330106', '330000')).toBe(true);
    expect(isWithin('330106', '330100')).toBe(true);
    expect(isWithin('330212', '330100')).toBe(false);
    expect(isWithin('330106', '330106')).toBe(true);
    expect(isWithin('330108', '330106')).toBe(false);
    expect(isWithin('310101', '330000')).toBe(false);
  });

  it('accepts only one tier below as a direct child', () => {
    expect(isDirectChild('330100', '330000')).toBe(true);
    expect(isDirectChild('330106', '330100')).toBe(true);
    expect(isDirectChild('330106', '330000')).toBe(false);
    expect(isDirectChild('330212', '330100')).toBe(false);
    expect(isDirectChild('330000', '330000')).toBe(false);
    expect(isStrictlyBelow('330106', '330000')).toBe(true);
    expect(isStrictlyBelow('330000', '330000')).toBe(false);
  });

  it('knows the real divisions of Zhejiang', () => {
    expect(findDivision('330106')?.nameEn ?? findDivision('330106')?.name).toBe('西湖区');
    expect(findDivision('330100')?.nameEn).toBe('Hangzhou');
    expect(countiesOf('330100').length).toBe(13);
    const all = [...['330100', '330200', '330300', '330400', '330500', '330600', '330700', '330800', '330900', '331000', '331100']].flatMap((c) =>
      countiesOf(c),
    );
    expect(all.length).toBe(90);
  });
});
