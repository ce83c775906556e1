import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import type { Page } from '@tdx/contracts';

export type { Page };

/** Page sizes of the list endpoints, declared once: lists of records, and rows of a dataset (smaller each, more of them). */
export const PAGE_LIMITS = {
  list: { default: 50, max: 500 },
  datasetRows: { default: 100, max: 1000 },
  returnedRows: { default: 100, max: 5000 },
} as const;

/** The `limit` query parameter: a whole number from 1 to the kind's maximum. */
export function PageLimit(limits: { default: number; max: number }): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({ type: 'integer', default: limits.default, minimum: 1, maximum: limits.max }),
    IsOptional(),
    Type(() => Number),
    IsInt(),
    Min(1),
    Max(limits.max),
  );
}

/**
 * One page, and the one rule for its next cursor: a full page (as many rows read as the limit) has
 * a cursor after its last row, which may lead to an empty page; a shorter page is the last.
 * `cursorAfterLast` is that cursor (undefined when nothing was read); `read` how many rows were
 * read from the store, when the page shows fewer (filtered after reading).
 */
export function pageOf<T>(items: T[], limit: number, cursorAfterLast: string | undefined, read = items.length): Page<T> {
  return { items, nextCursor: read >= limit && cursorAfterLast !== undefined ? cursorAfterLast : null };
}
