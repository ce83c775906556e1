import 'reflect-metadata';
import { validateSync } from 'class-validator';
import { DomainRefusal } from './domain-refusal';
import { divisionCodeParam, IsDivisionCodeField, IsUuidField, uuidParam } from './id-fields';
import { fieldsOf } from './validation';

class Sample {
  @IsUuidField()
  entryId!: string;

  @IsUuidField({ optional: true, lowerCase: true })
  id?: string;

  @IsDivisionCodeField({ example: '330000', description: 'the holder' })
  holder!: string;

  @IsDivisionCodeField({ optional: true })
  region?: string;
}

// Where @nestjs/swagger keeps a property's @ApiProperty options (its DECORATORS.API_MODEL_PROPERTIES, not exported).
const API_MODEL_PROPERTIES = 'swagger/apiModelProperties';
const UUID = '0b7e6a2c-54d1-4c1e-9f0e-3f3a7c1d2e4b';

function problems(body: object) {
  return fieldsOf(validateSync(Object.assign(new Sample(), body)));
}

describe('id fields', () => {
  it('take UUIDs and six-digit codes, and let optional fields be absent', () => {
    expect(problems({ entryId: UUID, holder: '330000' })).toEqual([]);
    expect(problems({ entryId: UUID.toUpperCase(), id: UUID, holder: '330106', region: '330100' })).toEqual([]);
  });

  it('refuse other values with a message naming the field', () => {
    expect(problems({ entryId: 'not-a-uuid', id: UUID.toUpperCase(), holder: '33000', region: 330100 })).toEqual([
      { field: 'entryId', messages: ['entryId must be a UUID'] },
      { field: 'id', messages: ['id must be a lower-case UUID'] },
      { field: 'holder', messages: ['holder must be a six-digit division code'] },
      { field: 'region', messages: ['region must be a six-digit division code'] },
    ]);
    expect(problems({})).toEqual([
      { field: 'entryId', messages: ['entryId must be a UUID'] },
      { field: 'holder', messages: ['holder must be a six-digit division code'] },
    ]);
  });

  it('show their form in the OpenAPI document', () => {
    const doc = (name: string) => Reflect.getMetadata(API_MODEL_PROPERTIES, Sample.prototype, name);
    expect(doc('entryId')).toMatchObject({ type: String, format: 'uuid', required: true });
    expect(doc('id')).toMatchObject({ format: 'uuid', required: false });
    expect(doc('holder')).toMatchObject({ pattern: '^\\d{6}$', example: '330000', description: 'the holder', required: true });
    expect(doc('region')).toMatchObject({ pattern: '^\\d{6}$', required: false });
  });

  it('check path parameters alike, as an invalid field (400)', () => {
    expect(uuidParam('id').transform(UUID, { type: 'param' })).toBe(UUID);
    expect(divisionCodeParam('330106', 'code')).toBe('330106');
    const refusal = (action: () => unknown) => {
      try {
        action();
      } catch (error) {
        return error instanceof DomainRefusal ? { kind: error.kind, fields: error.fields } : error;
      }
      throw new Error('not refused');
    };
    expect(refusal(() => uuidParam('entryId').transform('42', { type: 'param' }))).toEqual({
      kind: 'invalid',
      fields: [{ field: 'entryId', messages: ['entryId must be a UUID'] }],
    });
    expect(refusal(() => divisionCodeParam('33010a', 'code'))).toEqual({
      kind: 'invalid',
      fields: [{ field: 'code', messages: ['code must be a six-digit division code'] }],
    });
  });
});
