import { readFileSync } from 'node:fs';
import shipped from './china-public-holidays.json';

/** A day as the calendar names it: `YYYY-MM-DD` in China Standard Time. */
export type CalendarDay = string;

/** An operator's additions: public holidays and adjusted working days (调休), each a `YYYY-MM-DD`. */
export interface CalendarOverrides {
  holidays?: CalendarDay[];
  workdays?: CalendarDay[];
}

export class CalendarError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CalendarError';
  }
}

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAY_MS = 86_400_000;
/** China Standard Time is UTC+8 all year (no daylight saving), so a fixed offset is exact. */
const CST_OFFSET_MS = 8 * 3_600_000;

interface YearRecord {
  source: string;
  provisional?: boolean;
  holidays: CalendarDay[];
  workdays: CalendarDay[];
}

/**
 * Working days in mainland China: Monday to Friday, less the public holidays, plus the weekend
 * days that the State Council's yearly arrangement makes working days (调休). Deadlines of the
 * regulation (Article 10's sharing decisions) are counted in these days. The project ships the
 * arrangement of the current and the next year; an operator adds a year, or corrects one, with a file.
 */
export class WorkingCalendar {
  private constructor(
    private readonly holidays: ReadonlySet<CalendarDay>,
    private readonly workdays: ReadonlySet<CalendarDay>,
    private readonly years: ReadonlyMap<number, { provisional: boolean; source: string }>,
  ) {}

  /** The arrangement that ships with tdx (libs/calendar/src/china-public-holidays.json). */
  static shipped(): WorkingCalendar {
    const records = shipped as Record<string, YearRecord>;
    const holidays = new Set<CalendarDay>();
    const workdays = new Set<CalendarDay>();
    const years = new Map<number, { provisional: boolean; source: string }>();
    for (const [year, record] of Object.entries(records)) {
      years.set(Number(year), { provisional: record.provisional === true, source: record.source });
      for (const day of record.holidays) holidays.add(checkedDay(day, `shipped ${year} holidays`));
      for (const day of record.workdays) workdays.add(checkedDay(day, `shipped ${year} workdays`));
    }
    return new WorkingCalendar(holidays, workdays, years);
  }

  /**
   * This calendar with an operator's days on top. A day named in the overrides wins over the
   * shipped one, so a provisional year can be corrected; a year named there counts as covered.
   */
  withOverrides(overrides: CalendarOverrides): WorkingCalendar {
    const holidays = new Set(this.holidays);
    const workdays = new Set(this.workdays);
    const years = new Map(this.years);
    const added = (day: CalendarDay) => years.set(Number(day.slice(0, 4)), { provisional: false, source: 'operator' });
    for (const day of overrides.holidays ?? []) {
      checkedDay(day, 'holidays');
      workdays.delete(day);
      holidays.add(day);
      added(day);
    }
    for (const day of overrides.workdays ?? []) {
      checkedDay(day, 'workdays');
      if ((overrides.holidays ?? []).includes(day)) throw new CalendarError(`${day} is named both a holiday and a working day`);
      holidays.delete(day);
      workdays.add(day);
      added(day);
    }
    return new WorkingCalendar(holidays, workdays, years);
  }

  /** The shipped calendar with the operator's file (`{"holidays": [...], "workdays": [...]}`) on top. */
  static fromFile(path: string): WorkingCalendar {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(path, 'utf8'));
    } catch (error) {
      throw new CalendarError(`cannot read the calendar file ${path}: ${(error as Error).message}`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new CalendarError(`${path}: expected {"holidays": [...], "workdays": [...]}`);
    }
    const { holidays, workdays, ...rest } = parsed as Record<string, unknown>;
    const unknownKeys = Object.keys(rest);
    if (unknownKeys.length > 0) throw new CalendarError(`${path}: unknown keys ${unknownKeys.join(', ')} (expected holidays, workdays)`);
    return WorkingCalendar.shipped().withOverrides({ holidays: dayList(holidays, `${path} holidays`), workdays: dayList(workdays, `${path} workdays`) });
  }

  isWorkingDay(day: CalendarDay): boolean {
    checkedDay(day, 'day');
    if (this.workdays.has(day)) return true;
    if (this.holidays.has(day)) return false;
    const weekday = new Date(`${day}T00:00:00Z`).getUTCDay();
    return weekday !== 0 && weekday !== 6;
  }

  /** Whether the year's arrangement is known (shipped or added), and whether it is only the statutory days. */
  coverage(year: number): 'known' | 'provisional' | 'weekends-only' {
    const record = this.years.get(year);
    if (!record) return 'weekends-only';
    return record.provisional ? 'provisional' : 'known';
  }

  /**
   * The deadline of something asked at `at` that must be done within `workingDays` working days:
   * the end (24:00 China Standard Time) of the n-th working day after the day it was asked. The
   * day itself does not count, whether or not it is a working day; 0 means the end of that day.
   */
  deadline(at: Date, workingDays: number): Date {
    if (!Number.isSafeInteger(workingDays) || workingDays < 0) throw new CalendarError(`working days must be a whole number >= 0, not ${workingDays}`);
    let day = dayOf(at);
    for (let counted = 0; counted < workingDays;) {
      day = nextDay(day);
      if (this.isWorkingDay(day)) counted++;
    }
    return endOf(day);
  }

  /** Working days after the day of `from`, up to and including the day of `to` (0 when `to` is not later). */
  workingDaysBetween(from: Date, to: Date): number {
    let day = dayOf(from);
    const last = dayOf(to);
    let counted = 0;
    while (day < last) {
      day = nextDay(day);
      if (this.isWorkingDay(day)) counted++;
    }
    return counted;
  }
}

/** The day (China Standard Time) that an instant falls on. */
export function dayOf(at: Date): CalendarDay {
  if (Number.isNaN(at.getTime())) throw new CalendarError('not a valid time');
  return new Date(at.getTime() + CST_OFFSET_MS).toISOString().slice(0, 10);
}

function nextDay(day: CalendarDay): CalendarDay {
  return new Date(Date.parse(`${day}T00:00:00Z`) + DAY_MS).toISOString().slice(0, 10);
}

/** 24:00 China Standard Time at the end of `day`. */
function endOf(day: CalendarDay): Date {
  return new Date(Date.parse(`${day}T00:00:00Z`) + DAY_MS - CST_OFFSET_MS);
}

function checkedDay(day: unknown, where: string): CalendarDay {
  const time = typeof day === 'string' && DAY.test(day) ? Date.parse(`${day}T00:00:00Z`) : NaN;
  // A day such as 2026-02-30 does not read back as itself.
  if (Number.isNaN(time) || new Date(time).toISOString().slice(0, 10) !== day) {
    throw new CalendarError(`${where}: ${JSON.stringify(day)} is not a day (YYYY-MM-DD)`);
  }
  return day as CalendarDay;
}

function dayList(value: unknown, where: string): CalendarDay[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new CalendarError(`${where}: expected a list of days (YYYY-MM-DD)`);
  return value.map((day) => checkedDay(day, where));
}
