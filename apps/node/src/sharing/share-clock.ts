import { Inject, Injectable } from '@nestjs/common';
import { WorkingCalendar } from '@tdx/calendar';
import type { ShareType } from '@tdx/contracts';
import { NODE_CONFIG, NodeRuntimeConfig } from '../config/node-config';

/**
 * The time sharing runs on: expiry, deadlines and overdue flags are read from it, so that a test
 * (or an operator's drill) can set the node's sharing clock without touching the machine's.
 */
@Injectable()
export class ShareClock {
  private offsetMs = 0;
  private fixed: Date | null = null;

  now(): Date {
    return this.fixed ? new Date(this.fixed) : new Date(Date.now() + this.offsetMs);
  }

  /** Stops the clock at `at` (null: runs again, from the real time). */
  fixAt(at: Date | null): void {
    this.fixed = at;
  }
}

/**
 * When a decision on a share request is due: SHARE_DEADLINE_DAYS_* working days after the day it
 * was made, by the entry's share type, on the shipped calendar with the operator's CALENDAR_FILE on
 * top (holidays and adjusted working days, 调休).
 */
@Injectable()
export class ShareDeadlines {
  private readonly calendar: WorkingCalendar;

  constructor(@Inject(NODE_CONFIG) private readonly config: NodeRuntimeConfig) {
    this.calendar = config.sharing.calendarFile ? WorkingCalendar.fromFile(config.sharing.calendarFile) : WorkingCalendar.shipped();
  }

  /** Null for a share type that is never decided (`none`: refused at once). */
  deadline(shareType: ShareType, requestedAt: Date): Date | null {
    if (shareType === 'none') return null;
    return this.calendar.deadline(requestedAt, this.config.sharing.deadlineDays[shareType]);
  }
}
