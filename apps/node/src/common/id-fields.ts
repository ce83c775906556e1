import { applyDecorators, PipeTransform } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { IsOptional, ValidateBy } from 'class-validator';
import { isUuid } from '@tdx/contracts';
import { DIVISION_CODE_FORM, hasDivisionCodeForm } from '@tdx/divisions';
import { DomainRefusal } from './domain-refusal';

/*
 * The two kinds of id a request names: a UUID and a division code. One decorator each, carrying
 * the check, its message and what the OpenAPI document says, so every DTO takes them alike.
 */

export interface IdFieldOptions {
  /** The field may be absent (documented as optional, checked only when present). */
  optional?: boolean;
  description?: string;
  example?: string;
}

/** A UUID (isUuid); `lowerCase` for ids this node's PostgreSQL wrote, as replicas carry them. Refused: "<field> must be a UUID". */
export function IsUuidField(options: IdFieldOptions & { lowerCase?: boolean } = {}): PropertyDecorator {
  const { lowerCase = false, ...doc } = options;
  return idField(
    'isUuid',
    doc,
    { format: 'uuid' },
    (value) => isUuid(value) && (!lowerCase || value === value.toLowerCase()),
    lowerCase ? 'a lower-case UUID' : 'a UUID',
  );
}

/**
 * A division code in its written form, six digits (DIVISION_CODE_FORM). Whether the code is one this
 * node may act on is the service's rule (422), not the shape's. Refused: "<field> must be a six-digit division code".
 */
export function IsDivisionCodeField(options: IdFieldOptions = {}): PropertyDecorator {
  return idField('isDivisionCode', options, { pattern: DIVISION_CODE_FORM.source }, hasDivisionCodeForm, 'a six-digit division code');
}

function idField(
  name: string,
  options: IdFieldOptions,
  schema: { format?: string; pattern?: string },
  valid: (value: unknown) => boolean,
  means: string,
): PropertyDecorator {
  const { optional = false, ...doc } = options;
  const check = ValidateBy({ name, validator: { validate: valid, defaultMessage: (args) => `${args?.property ?? 'value'} must be ${means}` } });
  const documented = ApiProperty({ type: String, required: !optional, ...schema, ...doc });
  return optional ? applyDecorators(documented, IsOptional(), check) : applyDecorators(documented, check);
}

/** A path parameter that must be a UUID (isUuid), refused as an invalid `field` (400) otherwise. */
export function uuidParam(field: string): PipeTransform<unknown, string> {
  return {
    transform: (value: unknown) => {
      if (!isUuid(value)) throw DomainRefusal.invalid([{ field, messages: [`${field} must be a UUID`] }]);
      return value;
    },
  };
}

/** A path parameter that must be a division code in its written form, refused as an invalid `field` (400) otherwise. */
export function divisionCodeParam(value: string, field: string): string {
  if (!hasDivisionCodeForm(value)) throw DomainRefusal.invalid([{ field, messages: [`${field} must be a six-digit division code`] }]);
  return value;
}
