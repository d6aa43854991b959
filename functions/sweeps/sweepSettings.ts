// The sweep settings, read once from the app settings and validated: how often a sweep's orchestration observes
// its trials, and how many rounds it runs before continuing as new.
import { ConfigurationError } from '../../shared/config/appConfig';

export interface SweepSettings {
  /** SWEEP_POLL_SECONDS (default 5): seconds between two rounds (capped by an early-termination interval). */
  pollSeconds: number;
  /** SWEEP_ROUNDS_PER_EPISODE (default 50): rounds before the orchestration continues as new. */
  roundsPerEpisode: number;
}

function integerSetting(
  env: Readonly<Record<string, string | undefined>>,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max)
    throw new ConfigurationError(name, `must be an integer from ${min} to ${max}; it is '${text}'.`);
  return value;
}

export function readSweepSettings(env: Readonly<Record<string, string | undefined>>): SweepSettings {
  return {
    pollSeconds: integerSetting(env, 'SWEEP_POLL_SECONDS', 5, 1, 3600),
    roundsPerEpisode: integerSetting(env, 'SWEEP_ROUNDS_PER_EPISODE', 50, 1, 1000),
  };
}
