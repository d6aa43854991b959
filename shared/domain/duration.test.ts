// Durations as the service read them: ISO 8601 (years and months as .NET's XmlConvert counts them) and TimeSpan
// text, answered in ISO 8601 days and time.
import { normalizeDuration, parseDurationSeconds } from './duration';

test('ISO 8601 and TimeSpan text; years are 365 days, months 30, twelve months a year', () => {
  expect(parseDurationSeconds('f', 'P7D')).toBe(7 * 86400);
  expect(parseDurationSeconds('f', 'PT1H30M')).toBe(5400);
  expect(parseDurationSeconds('f', '7.00:00:00')).toBe(7 * 86400);
  expect(parseDurationSeconds('f', 'P1M')).toBe(30 * 86400);
  expect(parseDurationSeconds('f', 'P1Y2M3DT4M')).toBe((365 + 60 + 3) * 86400 + 240);
  expect(parseDurationSeconds('f', 'P13M')).toBe(395 * 86400);
  expect(normalizeDuration('f', 'P1M')).toBe('P30D');
});

test('anything else is refused naming the field', () => {
  expect(() => parseDurationSeconds('f', 'P99999999999D')).toThrow('is longer than the longest duration');
  expect(parseDurationSeconds('f', 'P10675199D')).toBe(10675199 * 86400);
  for (const bad of ['P', 'PT', '-P1D', 'P1W', '1 day', 'P1DT'])
    expect(() => parseDurationSeconds('properties.constraints.maxWallClockTime', bad)).toThrow(
      /^'.*' is not a valid duration/,
    );
});
