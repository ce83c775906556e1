import { ValidationError, ValidationPipe } from '@nestjs/common';
import { BadFieldsException } from './domain-refusal';

/** Flattens nested class-validator errors into `[{ field: 'dataItems.0.type', messages }]`. */
export function fieldsOf(errors: ValidationError[], prefix = ''): { field: string; messages: string[] }[] {
  return errors.flatMap((error) => {
    const field = prefix ? `${prefix}.${error.property}` : error.property;
    const own = error.constraints ? [{ field, ...rowOf(field), messages: Object.values(error.constraints) }] : [];
    return [...own, ...fieldsOf(error.children ?? [], field)];
  });
}

/** Strict DTO validation: unknown properties are refused, not silently dropped. */
export function strictValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    stopAtFirstError: false,
    exceptionFactory: (errors) => new BadFieldsException(fieldsOf(errors)),
  });
}

/** In a bulk upload (`entries.4.name`) the row number, counted from 1, is named too. */
function rowOf(field: string): { row?: number } {
  const match = /^entries\.(\d+)\./.exec(field);
  return match ? { row: Number(match[1]) + 1 } : {};
}
