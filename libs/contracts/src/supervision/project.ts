import type { Schema } from '../schema';

/** The data of a `project` supervision state. */
export type ProjectStateData = never;

/** Refuses every value until the project topic defines its data (fail closed). */
export const projectStateData: Schema<ProjectStateData> = ((_value: unknown, path: string) =>
  `${path}: no project data is defined in this release`) as Schema<ProjectStateData>;
