import type { Schema } from '../schema';

/** The data of a `access` supervision state. */
export type AccessStateData = never;

/** Refuses every value until the access topic defines its data (fail closed). */
export const accessStateData: Schema<AccessStateData> = ((_value: unknown, path: string) =>
  `${path}: no access data is defined in this release`) as Schema<AccessStateData>;
