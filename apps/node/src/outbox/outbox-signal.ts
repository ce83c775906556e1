import { Injectable } from '@nestjs/common';

/** Wakes the outbox relay as soon as a transaction that queued records commits, instead of waiting for its poll. */
@Injectable()
export class OutboxSignal {
  private listener: (() => void) | undefined;

  notify(): void {
    this.listener?.();
  }

  listen(listener: () => void): void {
    this.listener = listener;
  }
}
