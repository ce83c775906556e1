import type { UpdateCycle } from '@tdx/contracts';

/**
 * The longest a dataset may go without a load under each update cycle, in days. `realtime` is given
 * a day (a realtime feed silent for a day is late); `irregular` has no period and is not assessed.
 */
export const CYCLE_DAYS: Record<UpdateCycle, number | null> = {
  realtime: 1,
  daily: 1,
  weekly: 7,
  monthly: 31,
  quarterly: 92,
  yearly: 366,
  irregular: null,
};

const DAY_MS = 86_400_000;

/**
 * How late a dataset is, from 0 (loaded within its period) to 1 (silent for twice its period or
 * more), growing linearly in between; null when its cycle has no period.
 */
export function lateness(cycle: UpdateCycle, lastLoad: Date, now: Date): number | null {
  const days = CYCLE_DAYS[cycle];
  if (days === null) return null;
  const over = (now.getTime() - lastLoad.getTime()) / DAY_MS - days;
  return Math.min(1, Math.max(0, over / days));
}
