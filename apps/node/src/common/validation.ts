import { ArgumentMetadata, ValidationError, ValidationPipe } from '@nestjs/common';
import { ValidateBy, ValidationArguments } from 'class-validator';
import type { Schema } from '@tdx/contracts';
import { DomainRefusal, FieldProblem } from './domain-refusal';

/** Flattens nested class-validator errors into `[{ field: 'dataItems.0.type', messages }]`. */
export function fieldsOf(errors: ValidationError[], prefix = ''): FieldProblem[] {
  return errors.flatMap((error) => {
    const field = prefix ? `${prefix}.${error.property}` : error.property;
    const own = error.constraints ? [{ field, ...rowOf(field), messages: Object.values(error.constraints) }] : [];
    return [...own, ...fieldsOf(error.children ?? [], field)];
  });
}

/**
 * Strict DTO validation: unknown properties are refused, not silently dropped. Text PostgreSQL
 * cannot store is refused too, in values and property names: a NUL character, and ill-formed
 * UTF-16 (a lone surrogate, which JSON can spell as `\ud800`); either would otherwise fail as a 500.
 */
class StrictValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const text = unstorableText(value).map(({ path, problem }) => {
      const field = path || metadata.data || metadata.type;
      return { field, ...rowOf(field), messages: [`${field} must not contain ${problem}`] };
    });
    let result: unknown;
    try {
      result = await super.transform(value, metadata);
    } catch (error) {
      if (text.length > 0 && error instanceof DomainRefusal && error.kind === 'invalid') {
        throw DomainRefusal.invalid([...error.fields, ...text]);
      }
      throw error;
    }
    if (text.length > 0) throw DomainRefusal.invalid(text);
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
    exceptionFactory: (errors) => DomainRefusal.invalid(fieldsOf(errors)),
  });
}

// A high surrogate not followed by a low one, or a low one not preceded by a high one.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
// Enough to name what is wrong in a hostile body without answering with a copy of it.
const MAX_TEXT_PROBLEMS = 100;

/**
 * The paths (`dataItems.0.name`) of the strings inside `value`, and of the property names, that
 * PostgreSQL cannot store. A loop over an explicit stack, not recursion: JSON bodies are limited in
 * depth in front of the routes (MAX_JSON_DEPTH), but nothing here should depend on that.
 */
function unstorableText(value: unknown): { path: string; problem: string }[] {
  const found: { path: string; problem: string }[] = [];
  const check = (text: string, path: string) => {
    if (text.includes('\u0000')) found.push({ path, problem: 'NUL characters' });
    if (LONE_SURROGATE.test(text)) found.push({ path, problem: 'ill-formed Unicode (a lone UTF-16 surrogate)' });
  };
  const pending: { value: unknown; path: string }[] = [{ value, path: '' }];
  while (pending.length > 0 && found.length < MAX_TEXT_PROBLEMS) {
    const next = pending.pop() as { value: unknown; path: string };
    if (typeof next.value === 'string') check(next.value, next.path);
    if (next.value === null || typeof next.value !== 'object') continue;
    const children = Object.entries(next.value);
    // Reversed onto the stack, so that problems are named in the order of the body.
    for (let i = children.length - 1; i >= 0; i--) {
      const [key, child] = children[i];
      const path = next.path ? `${next.path}.${key}` : key;
      if (!Array.isArray(next.value)) check(key, path);
      pending.push({ value: child, path });
    }
  }
  return found;
}

/**
 * For a list of nested DTOs: every item must be a JSON object. `@ValidateNested` alone takes an
 * array inside the list (`{"entries": [[]]}`) for a list of its own and lets it through unchecked.
 */
export function EachObject(): PropertyDecorator {
  return ValidateBy({
    name: 'eachObject',
    validator: {
      validate: (value: unknown) => !Array.isArray(value) || value.every(isObject),
      defaultMessage: (args?: ValidationArguments) => {
        const items = Array.isArray(args?.value) ? args.value : [];
        const bad = items.flatMap((item: unknown, i: number) => (isObject(item) ? [] : [i + 1]));
        return `each item of ${args?.property ?? 'the list'} must be a JSON object: ${bad.length === 1 ? 'item' : 'items'} ${bad.slice(0, 20).join(', ')}${bad.length > 20 ? ', ...' : ''} ${bad.length === 1 ? 'is' : 'are'} not`;
      },
    },
  });
}

function isObject(item: unknown): boolean {
  return item !== null && typeof item === 'object' && !Array.isArray(item);
}

/** In a bulk upload (`entries.4.name`) the row number, counted from 1, is named too. */
function rowOf(field: string): { row?: number } {
  const match = /^entries\.(\d+)\./.exec(field);
  return match ? { row: Number(match[1]) + 1 } : {};
}
