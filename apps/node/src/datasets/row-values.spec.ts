import { markNumbers, rowData } from './row-values';
import { fromJson, fromText } from './values';

const ITEMS = [
  { name: 'amount', type: 'decimal' as const },
  { name: 'count', type: 'integer' as const },
  { name: 'code', type: 'string' as const },
];

describe('row values come back as loaded', () => {
  it('keeps every number as its text while parsing, and leaves strings alone', () => {
    expect(markNumbers('{"a": -1.50, "b": "x 2, \\"3\\"", "c": [1e3, true, null]}')).toBe(
      '{"a": "\\u0000-1.50", "b": "x 2, \\"3\\"", "c": ["\\u00001e3", true, null]}',
    );
  });

  it('gives decimals as strings with their scale, integers as numbers or beyond 2^53 as strings', () => {
    const text = '{"code": "000123", "count": 9007199254740993, "amount": 12345678901234567890.10}';
    expect(rowData(text, ITEMS)).toEqual({ code: '000123', count: '9007199254740993', amount: '12345678901234567890.10' });
    expect(rowData('{"count": -9007199254740991, "amount": 4579.70}', ITEMS)).toEqual({ count: -9007199254740991, amount: '4579.70' });
    expect(rowData('{"count": null}', ITEMS)).toEqual({ count: null });
    expect(rowData(null, ITEMS)).toBeNull();
    // An item named __proto__ stays an item, not the object's prototype.
    expect(Object.keys(rowData('{"__proto__": 1}', [{ name: '__proto__', type: 'integer' }]) ?? {})).toEqual(['__proto__']);
  });

  it('loads decimal and integer text exactly, from CSV and from NDJSON numbers', () => {
    expect(fromText('decimal', '4579.70')).toEqual({ json: '4579.70' });
    expect(fromText('decimal', '-00012345678901234567890.000')).toEqual({ json: '-12345678901234567890.000' });
    expect(fromText('integer', '9223372036854775807')).toEqual({ json: '9223372036854775807' });
    // An integer keeps its value, not its spelling: an identifier whose zeros matter is a string item.
    expect(fromText('integer', '0571')).toEqual({ json: '571' });
    expect(fromText('string', '0571')).toEqual({ json: '"0571"' });
    const number = (text: string) => JSON.parse(markNumbers(text));
    expect(fromJson('decimal', number('4579.70'))).toEqual({ json: '4579.70' });
    expect(fromJson('decimal', number('1.25e3'))).toEqual({ json: '1250' });
    expect(fromJson('decimal', number('-15e-4'))).toEqual({ json: '-0.0015' });
    expect(fromJson('integer', number('9223372036854775807'))).toEqual({ json: '9223372036854775807' });
    expect(fromJson('integer', number('9223372036854775808'))).toEqual({ error: expect.stringContaining('outside the 64-bit') });
    expect(fromJson('integer', number('1.5'))).toEqual({ error: '1.5 is not an integer' });
    expect(fromJson('string', number('12'))).toEqual({ error: 'must be a string, not number 12' });
  });
});

describe('markNumbers', () => {
  it('tells escaped quotes from closing ones', () => {
    expect(JSON.parse(markNumbers('{"a": "x\\\\", "b": 1, "c": "q\\"2\\\\\\"3", "d": -0.5e-3}'))).toEqual({
      a: 'x\\',
      b: '\u00001',
      c: 'q"2\\"3',
      d: '\u0000-0.5e-3',
    });
  });
});
