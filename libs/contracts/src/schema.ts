import { isDivisionCode } from '@tdx/divisions';

/**
 * A small, dependency-free checker for values read off the wire (parsed JSON from another node).
 * A schema returns the first problem it finds as a short sentence naming the path
 * (`body.purpose must be a string of 1 to 2000 characters`), or undefined when the value fits.
 * Problems never quote the value: it may be huge or hostile, and the text is logged and answered.
 */
export interface Schema<T> {
  (value: unknown, path: string): string | undefined;
  /** Never set: carries T, so `object<T>()` can demand a schema for each of T's fields. */
  readonly __type?: T;
}

function schema<T>(check: (value: unknown, path: string) => string | undefined): Schema<T> {
  return check as Schema<T>;
}

/** Whether `value` fits `s`; a type guard for code that only needs yes or no. */
export function fits<T>(s: Schema<T>, value: unknown): value is T {
  return s(value, 'value') === undefined;
}

/** A UUID of any version, in either case (PostgreSQL's uuid type takes both). */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether `value` is a UUID (UUID_PATTERN): the one check of ids outside the DTOs (wire, SQL, path parameters). */
export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID_PATTERN.test(value);
}

/**
 * A string of `min`..`max` UTF-16 code units (JavaScript's `length`, the unit the HTTP DTOs use
 * through these same schemas), optionally matching `pattern` (described by `means`).
 */
export function text(min: number, max: number, pattern?: { test: RegExp; means: string }): Schema<string> {
  return schema((value, path) => {
    if (typeof value !== 'string' || value.length < min || value.length > max) {
      return `${path} must be a string of ${min === max ? min : `${min} to ${max}`} characters`;
    }
    // PostgreSQL stores no NUL in text or jsonb: refused here rather than failing there.
    if (value.includes('\u0000')) return `${path} must not contain NUL characters`;
    if (pattern && !pattern.test.test(value)) return `${path} must be ${pattern.means}`;
    return undefined;
  });
}

export const uuid: Schema<string> = text(36, 36, { test: UUID_PATTERN, means: 'a UUID' });

export const divisionCode: Schema<string> = schema((value, path) => (isDivisionCode(value) ? undefined : `${path} must be a division code`));

/** A point in time as `Date.prototype.toISOString` writes it (UTC, milliseconds optional). */
export const timestamp: Schema<string> = schema((value, path) =>
  typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/.test(value) && !Number.isNaN(Date.parse(value))
    ? undefined
    : `${path} must be an ISO 8601 UTC timestamp`,
);

export function oneOf<const V extends readonly (string | number)[]>(values: V): Schema<V[number]> {
  return schema((value, path) => (values.includes(value as never) ? undefined : `${path} must be one of ${values.join(', ')}`));
}

/** A safe integer in [min, max]. */
export function integer(min: number, max = Number.MAX_SAFE_INTEGER): Schema<number> {
  return schema((value, path) =>
    Number.isSafeInteger(value) && (value as number) >= min && (value as number) <= max ? undefined : `${path} must be an integer from ${min} to ${max}`,
  );
}

export const boolean: Schema<boolean> = schema((value, path) => (typeof value === 'boolean' ? undefined : `${path} must be true or false`));

export function nullable<T>(s: Schema<T>): Schema<T | null> {
  return schema((value, path) => (value === null ? undefined : s(value, path)));
}

export function optional<T>(s: Schema<T>): Schema<T | undefined> {
  return schema((value, path) => (value === undefined ? undefined : s(value, path)));
}

export function array<T>(of: Schema<T>, max: number): Schema<T[]> {
  return schema((value, path) => {
    if (!Array.isArray(value) || value.length > max) return `${path} must be an array of at most ${max} items`;
    for (let i = 0; i < value.length; i++) {
      const problem = of(value[i], `${path}.${i}`);
      if (problem) return problem;
    }
    return undefined;
  });
}

/** A plain object with exactly T's fields (an absent optional field is fine); any other key is refused. */
export function object<T>(shape: { [K in keyof T]-?: Schema<T[K]> }): Schema<T> {
  const fields = Object.entries(shape) as [string, Schema<unknown>][];
  return schema((value, path) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return `${path} must be an object`;
    const extra = Object.keys(value).find((key) => !Object.prototype.hasOwnProperty.call(shape, key));
    if (extra !== undefined) return `${path} has an unknown field ${JSON.stringify(extra.slice(0, 40))}`;
    for (const [key, field] of fields) {
      const problem = field((value as Record<string, unknown>)[key], `${path}.${key}`);
      if (problem) return problem;
    }
    return undefined;
  });
}

/** `s`, and then a check across its fields (`after < upto`), described by `means`. */
export function refined<T>(s: Schema<T>, holds: (value: T) => boolean, means: string): Schema<T> {
  return schema((value, path) => s(value, path) ?? (holds(value as T) ? undefined : `${path}: ${means}`));
}
