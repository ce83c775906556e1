import { SetMetadata } from '@nestjs/common';

export const RECORDED_BY_FEATURE = 'tdx:recorded-by-feature';

/**
 * For a POST that reads (rows through a share grant) and whose feature writes its own, fuller
 * record of every answer it serves (who, which grant, which items and regions, how many rows): the
 * HTTP trail adds no second record of a success. Refusals and failures are still recorded by the
 * trail as for any other action.
 */
export const RecordedByFeature = (): MethodDecorator => SetMetadata(RECORDED_BY_FEATURE, true);
