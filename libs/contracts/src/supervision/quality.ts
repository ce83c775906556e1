import type { Schema } from '../schema';

/** The data of a `quality` supervision state. */
export type QualityStateData = never;

/** Refuses every value until the quality topic defines its data (fail closed). */
export const qualityStateData: Schema<QualityStateData> = ((_value: unknown, path: string) =>
  `${path}: no quality data is defined in this release`) as Schema<QualityStateData>;
