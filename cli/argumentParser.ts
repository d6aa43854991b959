// Parses a command's flags the way az does: `--name value`, `--name=value`, `-n value`, boolean switches, list
// flags taking several values (`--tags a=b c=d`), defaults from environment variables, required flags checked.
// Every mistake is a UsageError naming the flag (and the closest known flag for a typo).
import { closestMatch } from '../shared/client/closestMatch';
import { UsageError } from './usageError';

export type OptionType = 'string' | 'integer' | 'number' | 'boolean' | 'list';

export interface OptionSpec {
  /** Long name without dashes, e.g. `resource-group`. */
  name: string;
  /** One-letter alias without the dash, e.g. `g`. */
  short?: string;
  type: OptionType;
  description: string;
  required?: boolean;
  /** Environment variable read when the flag is absent. */
  env?: string;
  default?: string | number | boolean;
  /** Allowed values (case-insensitive; the canonical spelling is kept). */
  choices?: readonly string[];
  minimum?: number;
  maximum?: number;
  /** A secret (password, key): never printed back, not even in error messages. */
  secret?: boolean;
}

export type OptionValue = string | number | boolean | string[];
export type ParsedOptions = Record<string, OptionValue | undefined>;

export function flagName(spec: OptionSpec): string {
  return `--${spec.name}${spec.short ? `/-${spec.short}` : ''}`;
}

export function parseOptions(
  tokens: readonly string[],
  specs: readonly OptionSpec[],
  env: Record<string, string | undefined> = {},
): ParsedOptions {
  const byLong = new Map(specs.map((s) => [s.name.toLowerCase(), s]));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short as string, s]));
  const result: ParsedOptions = {};
  let i = 0;
  while (i < tokens.length) {
    const token = tokens[i++];
    if (!token.startsWith('-') || token === '-' || /^-\d/.test(token)) {
      throw new UsageError(`Unexpected argument '${token}': values follow a flag (e.g. --name ${token}).`);
    }
    let key: string;
    let inline: string | undefined;
    const eq = token.indexOf('=');
    if (eq > 0) {
      key = token.slice(0, eq);
      inline = token.slice(eq + 1);
    } else {
      key = token;
    }
    const spec = key.startsWith('--') ? byLong.get(key.slice(2).toLowerCase()) : byShort.get(key.slice(1));
    if (!spec) throw unknownFlag(key, specs);
    if (spec.type === 'boolean') {
      if (inline !== undefined && !/^(true|false)$/i.test(inline))
        throw new UsageError(`${flagName(spec)} is a switch: it takes no value (got '${inline}').`);
      result[spec.name] = inline === undefined || inline.toLowerCase() === 'true';
      continue;
    }
    if (spec.type === 'list') {
      const values = inline !== undefined ? [inline] : [];
      while (inline === undefined && i < tokens.length && !looksLikeFlag(tokens[i])) values.push(tokens[i++]);
      if (values.length === 0) throw new UsageError(`${flagName(spec)} needs at least one value.`);
      result[spec.name] = [...((result[spec.name] as string[] | undefined) ?? []), ...values];
      continue;
    }
    let raw = inline;
    if (raw === undefined) {
      if (i >= tokens.length || looksLikeFlag(tokens[i]))
        throw new UsageError(`${flagName(spec)} needs a value.`);
      raw = tokens[i++];
    }
    if (result[spec.name] !== undefined) throw new UsageError(`${flagName(spec)} is given more than once.`);
    result[spec.name] = convert(spec, raw);
  }
  for (const spec of specs) {
    if (result[spec.name] === undefined && spec.env && env[spec.env] !== undefined && env[spec.env] !== '') {
      result[spec.name] = convert(spec, env[spec.env] as string, `environment variable ${spec.env}`);
    }
    if (result[spec.name] === undefined && spec.default !== undefined) result[spec.name] = spec.default;
    if (spec.required && result[spec.name] === undefined) {
      throw new UsageError(
        `the following argument is required: ${flagName(spec)}${spec.env ? ` (or ${spec.env})` : ''}`,
      );
    }
  }
  return result;
}

/** A token that starts a flag rather than being a value (negative numbers are values). */
function looksLikeFlag(token: string): boolean {
  return token.startsWith('-') && token !== '-' && !/^-\d/.test(token);
}

function unknownFlag(key: string, specs: readonly OptionSpec[]): UsageError {
  const names = specs.flatMap((s) => [`--${s.name}`, ...(s.short ? [`-${s.short}`] : [])]);
  const suggestion = closestMatch(key, names);
  return new UsageError(
    `unrecognized argument: ${key}${suggestion ? `. Did you mean '${suggestion}'?` : ''}`,
  );
}

function convert(spec: OptionSpec, raw: string, source?: string): OptionValue {
  const where = source ? `${flagName(spec)} (from ${source})` : flagName(spec);
  const shown = spec.secret ? '<hidden>' : `'${raw}'`;
  if (spec.type === 'list') return [raw];
  if (spec.type === 'boolean') {
    if (!/^(true|false|1|0)$/i.test(raw))
      throw new UsageError(`${where} must be true or false, not ${shown}.`);
    return /^(true|1)$/i.test(raw);
  }
  if (spec.type === 'integer') {
    if (!/^-?\d+$/.test(raw.trim())) throw new UsageError(`${where} must be an integer, not ${shown}.`);
    const value = Number(raw);
    if (spec.minimum !== undefined && value < spec.minimum)
      throw new UsageError(`${where} must be at least ${spec.minimum}, not ${value}.`);
    if (spec.maximum !== undefined && value > spec.maximum)
      throw new UsageError(`${where} must be at most ${spec.maximum}, not ${value}.`);
    return value;
  }
  if (spec.type === 'number') {
    const value = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(value))
      throw new UsageError(`${where} must be a number, not ${shown}.`);
    if (spec.minimum !== undefined && value < spec.minimum)
      throw new UsageError(`${where} must be at least ${spec.minimum}, not ${value}.`);
    return value;
  }
  if (spec.choices) {
    const match = spec.choices.find((c) => c.toLowerCase() === raw.toLowerCase());
    if (!match) {
      const suggestion = closestMatch(raw, spec.choices);
      throw new UsageError(
        `${where}: invalid choice ${shown}; allowed values: ${spec.choices.join(', ')}${suggestion ? `. Did you mean '${suggestion}'?` : ''}`,
      );
    }
    return match;
  }
  return raw;
}
