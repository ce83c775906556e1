/** A sleep that a signal cuts short; a signal sent while nobody sleeps is kept for the next sleep. */
export class Wakeup {
  private pending = false;
  private resolveSleep: (() => void) | undefined;

  signal(): void {
    if (this.resolveSleep) this.resolveSleep();
    else this.pending = true;
  }

  sleep(ms: number): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.resolveSleep = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.resolveSleep = done;
    });
  }
}
