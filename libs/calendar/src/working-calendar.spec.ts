import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CalendarError, dayOf, WorkingCalendar } from './working-calendar';

describe('WorkingCalendar (shipped arrangement)', () => {
  const calendar = WorkingCalendar.shipped();

  it('knows weekdays, the holidays of 2026 and its adjusted working days (调休)', () => {
    expect(calendar.isWorkingDay('2026-12-04')).toBe(true); // a Friday
    expect(calendar.isWorkingDay('2026-12-05')).toBe(false); // a Saturday
    expect(calendar.isWorkingDay('2026-10-01')).toBe(false); // National Day, a Thursday
    expect(calendar.isWorkingDay('2026-02-16')).toBe(false); // Spring Festival, a Monday
    expect(calendar.isWorkingDay('2026-02-14')).toBe(true); // a Saturday worked for the Spring Festival
    expect(calendar.isWorkingDay('2026-10-10')).toBe(true); // a Saturday worked for National Day
    expect(calendar.isWorkingDay('2026-01-04')).toBe(true); // a Sunday worked for New Year
  });

  it('counts ten working days across the National Day holiday', () => {
    // Asked on Wednesday 30 September: 1-7 October are off, Saturday 10 October is worked.
    const counted = ['10-08', '10-09', '10-10', '10-12', '10-13', '10-14', '10-15', '10-16', '10-19', '10-20'];
    expect(counted.every((d) => calendar.isWorkingDay(`2026-${d}`))).toBe(true);
    expect(calendar.deadline(new Date('2026-09-30T02:00:00Z'), 10).toISOString()).toBe('2026-10-20T16:00:00.000Z');
    expect(calendar.workingDaysBetween(new Date('2026-09-30T02:00:00Z'), new Date('2026-10-20T10:00:00Z'))).toBe(10);
  });

  it('counts from the day in China Standard Time, not UTC', () => {
    // 16:30 UTC on Friday 13 February is 00:30 on Saturday 14 February in Hangzhou, a worked Saturday:
    // the next working day is after the whole Spring Festival holiday.
    expect(dayOf(new Date('2026-02-13T16:30:00Z'))).toBe('2026-02-14');
    expect(calendar.deadline(new Date('2026-02-13T16:30:00Z'), 1).toISOString()).toBe('2026-02-24T16:00:00.000Z');
    // The same instant minus an hour is still Friday: its next working day is that Saturday.
    expect(calendar.deadline(new Date('2026-02-13T15:30:00Z'), 1).toISOString()).toBe('2026-02-14T16:00:00.000Z');
    expect(calendar.deadline(new Date('2026-02-13T15:30:00Z'), 0).toISOString()).toBe('2026-02-13T16:00:00.000Z');
  });

  it('says which years it knows: 2026 in full, 2027 only by its statutory days, later years by weekends', () => {
    expect(calendar.coverage(2026)).toBe('known');
    expect(calendar.coverage(2027)).toBe('provisional');
    expect(calendar.coverage(2028)).toBe('weekends-only');
    expect(calendar.isWorkingDay('2027-02-08')).toBe(false); // the third day of the 2027 Spring Festival, a Monday
  });

  it('refuses what is not a day or a count', () => {
    expect(() => calendar.isWorkingDay('2026-02-30')).toThrow(CalendarError);
    expect(() => calendar.isWorkingDay('20260101')).toThrow(CalendarError);
    expect(() => calendar.deadline(new Date('2026-01-05T00:00:00Z'), -1)).toThrow(CalendarError);
    expect(() => calendar.deadline(new Date('2026-01-05T00:00:00Z'), 1.5)).toThrow(CalendarError);
    expect(() => calendar.deadline(new Date('nonsense'), 1)).toThrow(CalendarError);
  });
});

describe("WorkingCalendar with an operator's days", () => {
  it('adds the 2027 arrangement: an adjusted Sunday becomes a working day, a bridge day a holiday', () => {
    const calendar = WorkingCalendar.shipped().withOverrides({ holidays: ['2027-02-09'], workdays: ['2027-02-07'] });
    expect(calendar.isWorkingDay('2027-02-09')).toBe(false);
    expect(calendar.isWorkingDay('2027-02-07')).toBe(true); // was a shipped holiday (a Sunday of the Spring Festival)
    expect(calendar.coverage(2027)).toBe('known');
    expect(WorkingCalendar.shipped().isWorkingDay('2027-02-09')).toBe(true); // the shipped calendar is unchanged
  });

  it('reads the file, and refuses a malformed one with what is wrong', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tdx-calendar-'));
    const good = join(dir, 'good.json');
    writeFileSync(good, JSON.stringify({ holidays: ['2028-01-03'], workdays: ['2028-01-08'] }));
    const calendar = WorkingCalendar.fromFile(good);
    expect(calendar.isWorkingDay('2028-01-03')).toBe(false);
    expect(calendar.isWorkingDay('2028-01-08')).toBe(true);

    const cases: [string, RegExp][] = [
      ['{"holidays": "2028-01-03"}', /expected a list of days/],
      ['{"holidays": ["2028-13-01"]}', /is not a day/],
      ['{"holiday": []}', /unknown keys holiday/],
      ['[1, 2]', /expected \{"holidays"/],
      ['not json', /cannot read the calendar file/],
      ['{"holidays": ["2028-01-03"], "workdays": ["2028-01-03"]}', /both a holiday and a working day/],
    ];
    for (const [text, message] of cases) {
      const file = join(dir, 'bad.json');
      writeFileSync(file, text);
      expect(() => WorkingCalendar.fromFile(file)).toThrow(message);
    }
    expect(() => WorkingCalendar.fromFile(join(dir, 'absent.json'))).toThrow(/cannot read the calendar file/);
  });
});
