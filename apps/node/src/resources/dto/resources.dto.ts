import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsIn, IsISO8601, IsOptional, Matches, ValidateBy, ValidateNested } from 'class-validator';
import { IsDivisionCodeField, IsUuidField } from '../../common/id-fields';
import { EachObject } from '../../common/validation';

export const DEPENDENCY_KINDS = ['data', 'component'] as const;
export const MAX_DEPENDENCIES = 500;
/** Far above any real machine room; keeps sums exact in numeric(15, 3). */
export const MAX_AMOUNT = 1e9;

/** Whether `value` is a number from 0 to MAX_AMOUNT with at most three decimals. */
export function isAmount(value: unknown): value is number {
  // Checked by arithmetic, not by the digits after a '.': class-validator's maxDecimalPlaces reads
  // those from toString() and throws on a tiny number such as 6e-323, which has no '.'.
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= MAX_AMOUNT && Math.round(value * 1000) / 1000 === value;
}

/** A non-negative amount with at most three decimals (what the database keeps). */
function Amount(description: string): PropertyDecorator {
  return (target, key) => {
    ApiProperty({ type: Number, minimum: 0, maximum: MAX_AMOUNT, description })(target, key);
    ValidateBy({
      name: 'isAmount',
      validator: { validate: isAmount, defaultMessage: (args) => `${args?.property} must be a number from 0 to ${MAX_AMOUNT} with at most three decimals` },
    })(target, key);
  };
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

export class DependencyDto {
  @IsUuidField({ description: 'a data entry or component this node holds (its own or its subtree’s)' })
  entryId!: string;

  @ApiProperty({ enum: DEPENDENCY_KINDS, description: 'must be the type of the entry named' })
  @IsIn(DEPENDENCY_KINDS)
  kind!: (typeof DEPENDENCY_KINDS)[number];
}

/** The whole list of an application's dependencies: it replaces the list held. */
export class SetDependenciesDto {
  @ApiProperty({ type: [DependencyDto], maxItems: MAX_DEPENDENCIES })
  @IsArray()
  @ArrayMaxSize(MAX_DEPENDENCIES)
  @EachObject()
  @ValidateNested({ each: true })
  @Type(() => DependencyDto)
  dependencies!: DependencyDto[];
}

export class SetCapacityDto {
  @Amount('virtual CPUs')
  vcpu!: number;

  @Amount('memory in GiB')
  memoryGiB!: number;

  @Amount('storage in TiB')
  storageTiB!: number;
}

export class CreateAllocationDto extends SetCapacityDto {
  @IsUuidField({ description: 'an institution this node holds (its own or its subtree’s)' })
  institutionId!: string;

  @ApiProperty({ example: '2026-01-01', description: 'first day of the allocation' })
  @IsISO8601({ strict: true })
  @Matches(DATE, { message: 'from must be a date (YYYY-MM-DD)' })
  from!: string;

  @ApiPropertyOptional({ example: '2026-12-31', description: 'last day of the allocation; absent: until further notice' })
  @IsOptional()
  @IsISO8601({ strict: true })
  @Matches(DATE, { message: 'to must be a date (YYYY-MM-DD)' })
  to?: string;
}

export class ResourcesViewQuery {
  @IsDivisionCodeField({ optional: true, description: "a division in this node's jurisdiction; this node's own by default" })
  within?: string;
}
