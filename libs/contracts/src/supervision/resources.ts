import type { Schema } from '../schema';

/** The data of a `resources` supervision state. */
export type ResourcesStateData = never;

/** Refuses every value until the resources topic defines its data (fail closed). */
export const resourcesStateData: Schema<ResourcesStateData> = ((_value: unknown, path: string) =>
  `${path}: no resources data is defined in this release`) as Schema<ResourcesStateData>;
