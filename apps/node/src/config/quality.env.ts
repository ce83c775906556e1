type Env = Record<string, string | undefined>;

/** The scheduled quality check (docs/quality.md, "Running the check"). */
export interface QualityConfig {
  /** QUALITY_CHECK_INTERVAL_HOURS: hours between two scheduled checks of this node's entries (default 24; 0: never scheduled). */
  checkIntervalHours: number;
}

/** Reads the quality variables; a problem names its variable and never quotes its value. */
export function loadQualityConfig(env: Env): { config: QualityConfig; problems: string[] } {
  const text = env.QUALITY_CHECK_INTERVAL_HOURS?.trim();
  if (text === undefined || text === '') return { config: { checkIntervalHours: 24 }, problems: [] };
  const value = Number(text);
  // Fractions of an hour are taken (a test runs every few seconds); a month at most.
  if (!Number.isFinite(value) || value < 0 || value > 720) {
    return { config: { checkIntervalHours: 24 }, problems: ['QUALITY_CHECK_INTERVAL_HOURS must be a number of hours from 0 (off) to 720'] };
  }
  return { config: { checkIntervalHours: value }, problems: [] };
}
