// Unit tests of the NCRONTAB parser and next-occurrence computation.
import { nextOccurrence, parseNcrontab } from './ncrontab';
import { parseSchedule } from './jobSchedule';

const next = (expr: string, after: string): string | undefined =>
  nextOccurrence(parseNcrontab(expr), new Date(after))?.toISOString();

describe('ncrontab', () => {
  it('fires every five minutes on the minute boundary', () => {
    expect(next('0 */5 * * * *', '2024-03-10T10:02:30Z')).toBe('2024-03-10T10:05:00.000Z');
    expect(next('0 */5 * * * *', '2024-03-10T10:05:00Z')).toBe('2024-03-10T10:10:00.000Z');
  });

  it('fires every second with all stars', () => {
    expect(next('* * * * * *', '2024-03-10T10:02:30.400Z')).toBe('2024-03-10T10:02:31.000Z');
  });

  it('supports lists and ranges', () => {
    expect(next('5,35 0 9-17 * * *', '2024-03-10T08:59:59Z')).toBe('2024-03-10T09:00:05.000Z');
    expect(next('5,35 0 9-17 * * *', '2024-03-10T09:00:05Z')).toBe('2024-03-10T09:00:35.000Z');
    expect(next('5,35 0 9-17 * * *', '2024-03-10T17:00:35Z')).toBe('2024-03-11T09:00:05.000Z');
  });

  it('supports steps from a start value and within a range', () => {
    expect(next('10/20 * * * * *', '2024-01-01T00:00:31Z')).toBe('2024-01-01T00:00:50.000Z');
    expect(next('0 0 1-10/3 * * *', '2024-01-01T02:00:00Z')).toBe('2024-01-01T04:00:00.000Z');
  });

  it('understands month and day names (weekdays at 9:30)', () => {
    // 2024-03-09 is a Saturday.
    expect(next('0 30 9 * * MON-FRI', '2024-03-09T12:00:00Z')).toBe('2024-03-11T09:30:00.000Z');
    expect(next('0 0 0 1 Jan *', '2024-03-09T12:00:00Z')).toBe('2025-01-01T00:00:00.000Z');
  });

  it('treats 7 as Sunday and requires both day of month and day of week', () => {
    expect(next('0 0 12 * * 7', '2024-03-09T00:00:00Z')).toBe('2024-03-10T12:00:00.000Z');
    // The 13th that is a Friday after March 2024: September 2024.
    expect(next('0 0 0 13 * FRI', '2024-03-14T00:00:00Z')).toBe('2024-09-13T00:00:00.000Z');
  });

  it('steps days of week from a start value up to Saturday, not round to Sunday', () => {
    expect([...parseNcrontab('0 0 0 * * 1/2').daysOfWeek]).toEqual([1, 3, 5]);
    // 2024-03-09 is a Saturday: after Friday's run comes Monday's, not Sunday's.
    expect(next('0 0 0 * * 1/2', '2024-03-08T12:00:00Z')).toBe('2024-03-11T00:00:00.000Z');
    expect([...parseNcrontab('0 0 0 * * */3').daysOfWeek]).toEqual([0, 3, 6]);
  });

  it('handles leap days and impossible dates', () => {
    expect(next('0 0 0 29 2 *', '2024-03-01T00:00:00Z')).toBe('2028-02-29T00:00:00.000Z');
    expect(next('0 0 0 30 2 *', '2024-03-01T00:00:00Z')).toBeUndefined();
  });

  it('rejects malformed expressions with the field named', () => {
    expect(() => parseNcrontab('0 */5 * * *')).toThrow(/expected 6 fields/);
    expect(() => parseNcrontab('0 61 * * * *')).toThrow(/minute 61 is outside 0-59/);
    expect(() => parseNcrontab('0 */0 * * * *')).toThrow(/step "0" in the minute field/);
    expect(() => parseNcrontab('0 0 0 * FOO *')).toThrow(/"FOO" is not a valid month value/);
    expect(() => parseNcrontab('0 0 5-2 * * *')).toThrow(/goes backwards/);
  });
});

describe('a schedule that fires only beyond the search horizon', () => {
  test('is refused as not firing within 10 years, not as never firing', () => {
    // February 29th on a Monday: 2044 after 2016, more than ten years after any date from 2024 to 2033.
    const leapMonday = '0 0 0 29 2 1';
    expect(next(leapMonday, '2030-01-01T00:00:00Z')).toBeUndefined();
    expect(next(leapMonday, '2040-01-01T00:00:00Z')).toBe('2044-02-29T00:00:00.000Z');
    expect(() => parseSchedule('properties.schedule', leapMonday)).toThrow(
      "'properties.schedule' does not fire within 10 years.",
    );
    expect(() => parseSchedule('properties.schedule', leapMonday)).not.toThrow(/never fires/);
  });
});
