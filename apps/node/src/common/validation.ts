import { ArgumentMetadata, ValidationError, ValidationPipe } from '@nestjs/common';
import { ValidateBy } from 'class-validator';
import type { Schema } from '@tdx/contracts';
import { BadFieldsException } from './domain-refusal';

type FieldProblem = { field: string; row?: number; messages: string[] };

/** Flattens nested class-validator errors into `[{ field: 'dataItems.0.type', messages }]`. */
export function fieldsOf(errors: ValidationError[], prefix = ''): FieldProblem[] {
  return errors.flatMap((error) => {
    const field = prefix ? `${prefix}.${error.property}` : error.property;
    const own = error.constraints ? [{ field, ...rowOf(field), messages: Object.values(error.constraints) }] : [];
    return [...own, ...fieldsOf(error.children ?? [], field)];
  });
}

/**
 * Strict DTO validation: unknown properties are refused, not silently dropped. Strings holding a
 * NUL character are refused too: PostgreSQL cannot store them, and they would otherwise fail as a 500.
 */
class StrictValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const nul = nulFields(value)
      .map((path) => path || metadata.data || metadata.type)
      .map((field) => ({ field, ...rowOf(field), messages: [`${field} must not contain NUL characters`] }));
    let result: unknown;
    try {
      result = await super.transform(value, metadata);
    } catch (error) {
      if (nul.length > 0 && error instanceof BadFieldsException) {
        throw new BadFieldsException([...(error.getResponse() as { fields: FieldProblem[] }).fields, ...nul]);
      }
      throw error;
    }
    if (nul.length > 0) throw new BadFieldsException(nul);
    return result;
  }
}

/** A DTO field checked by a wire schema of libs/contracts, so the API and the wire take the same values. */
export function Satisfies(schema: Schema<unknown>): PropertyDecorator {
  return ValidateBy({
    name: 'satisfies',
    validator: {
      validate: (value, args) => schema(value, args?.property ?? 'value') === undefined,
      defaultMessage: (args) => schema(args?.value, args?.property ?? 'value') ?? '',
    },
  });
}

export function strictValidationPipe(): ValidationPipe {
  return new StrictValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    stopAtFirstError: false,
    exceptionFactory: (errors) => new BadFieldsException(fieldsOf(errors)),
  });
}

/** The paths (`dataItems.0.name`) of the strings inside `value` that contain U+0000. */
function nulFields(value: unknown, path = ''): string[] {
  if (typeof value === 'string') return value.includes('\u0000') ? [path] : [];
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, child]) => nulFields(child, path ? `${path}.${key}` : key));
}

/** In a bulk upload (`entries.4.name`) the row number, counted from 1, is named too. */
function rowOf(field: string): { row?: number } {
  const match = /^entries\.(\d+)\./.exec(field);
  return match ? { row: Number(match[1]) + 1 } : {};
}
