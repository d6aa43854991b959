// Orchestration versioning as the Durable Task runtime does it (host.json extensions.durableTask): every new
// instance is stamped with `defaultVersion` (or the version its starter gave) for life, the orchestrator reads it
// as `context.df.version`, and a worker only runs instances its `versionMatchStrategy` accepts: `CurrentOrOlder`
// (the default) runs instances of its own version or older, so a newer deployment keeps finishing what an older
// one started while an older one never replays a newer instance's history. `versionFailureStrategy` says what
// happens to an instance the worker may not run: `Reject` (the default) leaves it for a worker that may, `Fail`
// fails it.

import { compareVersions } from '../../shared/domain/versionOrder';

export type VersionMatchStrategy = 'None' | 'Strict' | 'CurrentOrOlder';
export type VersionFailureStrategy = 'Reject' | 'Fail';

export interface VersioningConfig {
  /** The worker's version: stamped on new instances (and sub-orchestrations started without one). */
  defaultVersion?: string;
  matchStrategy: VersionMatchStrategy;
  failureStrategy: VersionFailureStrategy;
}

export const defaultVersioning: VersioningConfig = {
  matchStrategy: 'CurrentOrOlder',
  failureStrategy: 'Reject',
};

const matchStrategies: readonly VersionMatchStrategy[] = ['None', 'Strict', 'CurrentOrOlder'];
const failureStrategies: readonly VersionFailureStrategy[] = ['Reject', 'Fail'];

function oneOf<T extends string>(value: unknown, field: string, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  const match =
    typeof value === 'string' ? allowed.find((a) => a.toLowerCase() === value.toLowerCase()) : undefined;
  if (!match) throw new Error(`${field}: expected one of ${allowed.join(', ')}`);
  return match;
}

/** The versioning settings of a host.json durableTask section; an invalid value throws naming its field. */
export function parseVersioning(section: Record<string, unknown>, prefix: string): VersioningConfig {
  const version = section.defaultVersion;
  if (version !== undefined && typeof version !== 'string') {
    throw new Error(`${prefix}.defaultVersion: expected a string`);
  }
  return {
    defaultVersion: version === '' ? undefined : version,
    matchStrategy: oneOf(
      section.versionMatchStrategy,
      `${prefix}.versionMatchStrategy`,
      matchStrategies,
      'CurrentOrOlder',
    ),
    failureStrategy: oneOf(
      section.versionFailureStrategy,
      `${prefix}.versionFailureStrategy`,
      failureStrategies,
      'Reject',
    ),
  };
}

/** Why this worker may not run an instance of `version`, or undefined when it may. */
export function versionMismatch(version: string | undefined, config: VersioningConfig): string | undefined {
  if (config.matchStrategy === 'None' || version === config.defaultVersion) return undefined; // the usual case
  const order = compareVersions(version, config.defaultVersion);
  if (order === 0 || (order < 0 && config.matchStrategy === 'CurrentOrOlder')) return undefined;
  const shown = (v: string | undefined): string => (v ? `'${v}'` : 'none');
  return (
    `The orchestration's version ${shown(version)} ` +
    (config.matchStrategy === 'Strict' ? 'is not' : 'is newer than') +
    ` this worker's version ${shown(config.defaultVersion)} (versionMatchStrategy ${config.matchStrategy}).`
  );
}
