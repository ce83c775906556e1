import { divisionCode, integer, object, oneOf, Schema, text, timestamp } from '../schema';
import { accessStateData, type AccessStateData } from './access';
import { projectStateData, type ProjectStateData } from './project';
import { qualityStateData, type QualityStateData } from './quality';
import { resourcesStateData, type ResourcesStateData } from './resources';

export * from './access';
export * from './project';
export * from './quality';
export * from './quality-rules';
export * from './resources';

/**
 * Supervision figures carried up the tree (Articles 5, 7, 11, 12). A node computes figures about its
 * own resources and publishes each as a **supervision state**: the whole current value of one thing
 * (a node's quality score, an institution's access volumes, a project's review), keyed by
 * (origin, topic, key) and versioned. It travels upward as a signed replication record like a
 * catalog entry, so the city and the province hold their subtree's figures, signed by the node that
 * computed them, without reading anyone's rows. Each ancestor keeps the newest version of each key.
 */
export const SUPERVISION_TOPICS = ['quality', 'access', 'resources', 'project'] as const;
export type SupervisionTopic = (typeof SUPERVISION_TOPICS)[number];

/** What each topic's data is; the carrier checks a received state against its topic's schema. */
export interface SupervisionTopicData {
  quality: QualityStateData;
  access: AccessStateData;
  resources: ResourcesStateData;
  project: ProjectStateData;
}

export const SUPERVISION_DATA_SCHEMAS: { [T in SupervisionTopic]: Schema<SupervisionTopicData[T]> } = {
  quality: qualityStateData,
  access: accessStateData,
  resources: resourcesStateData,
  project: projectStateData,
};

/**
 * One supervision state as it replicates. `key` names the thing within the topic (`node`,
 * `institution:<uuid>`, `entry:<uuid>`, `project:<uuid>`, ...). `version` increases strictly per
 * (origin, topic, key): an ancestor applies a state only if it is newer than the one it holds.
 */
export interface SupervisionState<T extends SupervisionTopic = SupervisionTopic> {
  origin: string;
  topic: T;
  key: string;
  version: number;
  computedAt: string;
  data: SupervisionTopicData[T];
}

/** A key: letters, digits and `:._-`, up to 200 characters. */
export const SUPERVISION_KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9:._-]{0,199}$/;

const supervisionHeader = object<Omit<SupervisionState, 'data'> & { data: unknown }>({
  origin: divisionCode,
  topic: oneOf(SUPERVISION_TOPICS),
  key: text(1, 200, { test: SUPERVISION_KEY_PATTERN, means: 'letters, digits and :._- (up to 200)' }),
  version: integer(1),
  computedAt: timestamp,
  data: (() => undefined) as Schema<unknown>,
});

/** The first problem of a received supervision state (its header, then its data by its topic), or undefined. */
export function supervisionStateProblem(value: unknown, path = 'body'): string | undefined {
  const header = supervisionHeader(value, path);
  if (header) return header;
  const state = value as SupervisionState;
  return SUPERVISION_DATA_SCHEMAS[state.topic](state.data, `${path}.data`);
}
