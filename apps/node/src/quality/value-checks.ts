import type { QualityCheck } from '@tdx/contracts';
import { isCalendarDate, isDivisionCodeValue, isResidentId, isTimestamp, isUscc } from './validators';

/** The validity check of each value check (completeness and uniqueness are counted apart). */
export const VALUE_VALIDATORS: Partial<Record<QualityCheck, (value: string) => boolean>> = {
  'value.uscc': isUscc,
  'value.resident-id': (v) => isResidentId(v),
  'value.division-code': isDivisionCodeValue,
  'value.date': isCalendarDate,
  'value.datetime': isTimestamp,
};

/** A value counts as missing when absent, JSON null, or only white space. */
export function isMissing(value: string | null): boolean {
  return value === null || value.trim().length === 0;
}
