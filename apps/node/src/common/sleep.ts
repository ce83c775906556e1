/** Resolves after `ms` milliseconds; nothing cuts it short (see `Wakeup` for a sleep a signal ends). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
