// Durations on the wire: Batch AI accepts ISO 8601 ("P7D", "PT1H30M") and .NET TimeSpan text ("7.00:00:00",
// "01:30:00") and answers in ISO 8601 ("P7D"), so both are parsed to seconds and written back in ISO form. Years and
// months count as .NET's XmlConvert.ToTimeSpan counts them (the service's parser): a year 365 days, a month 30
// days, twelve months a year ("P1M" = 30 days, "P13M" = 395 days).
import { ValidationError } from './errors';

const isoPattern = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i;
const timeSpanPattern = /^(?:(\d+)\.)?(\d{1,2}):(\d{1,2}):(\d{1,2}(?:\.\d+)?)$/;

/** .NET's TimeSpan.MaxValue in seconds (10,675,199 days): the longest duration the service's parser took. */
const maxDurationSeconds = 922_337_203_685;

export function parseDurationSeconds(field: string, text: string): number {
  const seconds = durationSeconds(field, text);
  if (seconds > maxDurationSeconds)
    throw new ValidationError(field, `'${text}' is longer than the longest duration (10675199 days).`);
  return seconds;
}

function durationSeconds(field: string, text: string): number {
  const iso = isoPattern.exec(text);
  if (iso && text.length > 1 && !/T$/i.test(text)) {
    const [, y, mo, d, h, m, s] = iso;
    const months = Number(mo ?? 0);
    const days = (Number(y ?? 0) + Math.floor(months / 12)) * 365 + (months % 12) * 30 + Number(d ?? 0);
    return days * 86400 + Number(h ?? 0) * 3600 + Number(m ?? 0) * 60 + Number(s ?? 0);
  }
  const span = timeSpanPattern.exec(text);
  if (span) {
    const [, d, h, m, s] = span;
    if (Number(h) > 23 || Number(m) > 59 || Number(s) >= 60) {
      throw new ValidationError(
        field,
        `'${text}' is not a valid duration: hours, minutes or seconds out of range.`,
      );
    }
    return Number(d ?? 0) * 86400 + Number(h) * 3600 + Number(m) * 60 + Number(s);
  }
  throw new ValidationError(
    field,
    `'${text}' is not a valid duration: use ISO 8601 (e.g. 'P7D', 'PT2H30M') or d.hh:mm:ss (e.g. '7.00:00:00').`,
  );
}

export function formatIsoDuration(totalSeconds: number): string {
  const days = Math.floor(totalSeconds / 86400);
  let rest = totalSeconds - days * 86400;
  const hours = Math.floor(rest / 3600);
  rest -= hours * 3600;
  const minutes = Math.floor(rest / 60);
  const seconds = Math.round((rest - minutes * 60) * 1000) / 1000;
  const time = `${hours ? `${hours}H` : ''}${minutes ? `${minutes}M` : ''}${seconds ? `${seconds}S` : ''}`;
  if (!days && !time) return 'PT0S';
  return `P${days ? `${days}D` : ''}${time ? `T${time}` : ''}`;
}

export function normalizeDuration(field: string, text: string): string {
  return formatIsoDuration(parseDurationSeconds(field, text));
}
