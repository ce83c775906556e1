import { IsIn, IsInt, IsISO8601, Matches, Min, validateSync } from 'class-validator';
import { ENTRY_STATUSES, ENTRY_TYPES, EntryStatus, EntryType } from '@tdx/contracts';
import { DataItemDto, EntryFieldsDto, fieldProblems } from '../catalog/dto/entry-fields';
import { RESOURCE_CODE } from '../catalog/dto/create-entry.dto';
import { CreateInstitutionDto } from '../institutions/dto/create-institution.dto';
import { IsDivisionCodeField, IsUuidField } from '../common/id-fields';
import { fieldsOf } from '../common/validation';

/** Optional for a registration (the node fills them in), present in every stored version. */
const FILLED_IN = ['regionScope', 'dataItems', 'relatedResources'] as const;

/*
 * A received version is held to the limits of the API that made it at its origin: these classes
 * extend the origin's DTOs with the fields a stored version adds, so a limit changed there
 * changes here too. Unknown fields are refused, as the API refuses them.
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a mixin's base must be any constructor (TS2545)
function Versioned<Base extends new (...args: any[]) => object>(base: Base) {
  /** The fields every stored version carries, entry or institution alike. */
  class StoredVersion extends base {
    @IsUuidField({ lowerCase: true })
    id!: string;

    @IsDivisionCodeField()
    origin!: string;

    @IsIn(ENTRY_STATUSES)
    status!: EntryStatus;

    @IsInt()
    @Min(1)
    version!: number;

    @IsISO8601({ strict: true })
    createdAt!: string;

    @IsISO8601({ strict: true })
    updatedAt!: string;
  }
  return StoredVersion;
}

class ReplicatedEntry extends Versioned(EntryFieldsDto) {
  @Matches(RESOURCE_CODE, { message: 'code must be 1-64 letters, digits, dots, slashes, underscores or hyphens' })
  code!: string;

  @IsIn(ENTRY_TYPES)
  type!: EntryType;
}

class ReplicatedInstitution extends Versioned(CreateInstitutionDto) {}

/** What is wrong with a received entry version's fields ("grade: grade must be one of ..."), or undefined. */
export function entryShapeProblem(body: object): string | undefined {
  const { dataItems } = body as { dataItems?: unknown };
  const items = Array.isArray(dataItems) ? dataItems.map((item) => (isObject(item) ? instanceOf(DataItemDto, item) : item)) : dataItems;
  const problems = shapeProblems(instanceOf(ReplicatedEntry, { ...body, dataItems: items }));
  if (problems) return problems;
  const entry = body as ReplicatedEntry;
  // A class-validator @IsDefined does not override the DTO's @IsOptional: checked here.
  const missing = FILLED_IN.filter((field) => entry[field] === undefined || entry[field] === null);
  if (missing.length > 0) return describe(missing.map((field) => ({ field, messages: [`${field} must be present in a stored version`] })));
  return describe(fieldProblems(entry.type, entry));
}

/** What is wrong with a received institution version's fields, or undefined. */
export function institutionShapeProblem(body: object): string | undefined {
  return shapeProblems(instanceOf(ReplicatedInstitution, body));
}

/**
 * The body as an instance of `shape`, for class-validator, which finds the rules by the prototype.
 * Not class-transformer's plainToInstance: it costs twice the validation itself (about 100 µs an
 * entry, measured), on the path that applies every record of the province's catalog.
 */
function instanceOf<T extends object>(shape: new () => T, body: object): T {
  return Object.assign(Object.create(shape.prototype) as T, body);
}

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function shapeProblems(instance: object): string | undefined {
  try {
    const errors = validateSync(instance, { whitelist: true, forbidNonWhitelisted: true, stopAtFirstError: true });
    return describe(fieldsOf(errors));
  } catch {
    // A body nested deeper than the stack (class-transformer recurses): refused, never retried.
    return 'body is malformed: it cannot be validated';
  }
}

function describe(problems: { field: string; messages: string[] }[]): string | undefined {
  if (problems.length === 0) return undefined;
  const text = problems.map((p) => `${p.field}: ${p.messages.join(', ')}`).join('; ');
  return `body is malformed: ${text.length > 500 ? `${text.slice(0, 500)}…` : text}`;
}
