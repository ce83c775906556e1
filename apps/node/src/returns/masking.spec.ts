import { maskModeFor, maskPlan, maskRow, maskValue } from './masking';

describe('masking of sensitive data items', () => {
  it('keeps a recognisable shape at L1 and L2', () => {
    expect(maskValue('330106199001011234', 'partial')).toBe('330106********1234');
    expect(maskValue('33010619900101123X', 'partial')).toBe('330106********123X');
    expect(maskValue('13812345678', 'partial')).toBe('138****5678');
    expect(maskValue('张三', 'partial')).toBe('张*');
    expect(maskValue('欧阳小明', 'partial')).toBe('欧***');
    expect(maskValue('zhang.san@example.cn', 'partial')).toBe('z***@example.cn');
    expect(maskValue('1990-05-17', 'partial')).toBe('1990-**-**');
    expect(maskValue('West Lake Road 88', 'partial')).toBe('West*********d 88');
    expect(maskValue('abc', 'partial')).toBe('***');
    expect(maskValue('', 'partial')).toBe('');
  });

  it('keeps only the shape at L3', () => {
    expect(maskValue('330106199001011234', 'shape')).toBe('******************');
    expect(maskValue('zhang.san@example.cn', 'shape')).toBe('*****.***@*******.**');
    expect(maskValue('张三', 'shape')).toBe('**');
  });

  it('withholds everything sensitive at L4, and non-strings at every grade', () => {
    expect(maskValue('330106199001011234', 'withheld')).toBeNull();
    expect(maskValue(42, 'partial')).toBeNull();
    expect(maskValue(true, 'shape')).toBeNull();
    expect(maskValue(null, 'partial')).toBeNull();
  });

  it('maps grades to modes', () => {
    expect(['L1', 'L2', 'L3', 'L4'].map((g) => maskModeFor(g as 'L1'))).toEqual(['partial', 'partial', 'shape', 'withheld']);
  });

  it('masks only the sensitive items of a row and leaves the input unchanged', () => {
    const items = [{ name: 'uscc', sensitive: false }, { name: 'legal_person_id', sensitive: true }, { name: 'phone', sensitive: true }];
    const row = { uscc: '91330106MA2XXXXX1X', legal_person_id: '330106199001011234', phone: '13812345678', extra: 'x' };
    const copy = { ...row };
    expect(maskRow(row, maskPlan('L2', items))).toEqual({
      uscc: '91330106MA2XXXXX1X', legal_person_id: '330106********1234', phone: '138****5678', extra: 'x',
    });
    expect(maskRow(row, maskPlan('L4', items))).toEqual({ uscc: '91330106MA2XXXXX1X', legal_person_id: null, phone: null, extra: 'x' });
    expect(row).toEqual(copy);
    expect(maskRow({ uscc: 'a' }, maskPlan('L2', items))).toEqual({ uscc: 'a' });
  });
});
