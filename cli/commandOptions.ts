// Typed access to a command's parsed flags: the parser already checked types and required flags, so these getters
// only narrow the value (and report a flag the command needs but the user left out).
import type { ParsedOptions } from './argumentParser';
import { UsageError } from './usageError';

export class CommandOptions {
  constructor(private readonly values: ParsedOptions) {}

  has(name: string): boolean {
    return this.values[name] !== undefined;
  }

  text(name: string): string | undefined {
    const value = this.values[name];
    return value === undefined ? undefined : String(value);
  }

  /** A flag this command cannot do without (when the spec cannot mark it required, e.g. one of two flags). */
  requiredText(name: string, why?: string): string {
    const value = this.text(name);
    if (value === undefined || value === '')
      throw new UsageError(`the following argument is required: --${name}${why ? ` (${why})` : ''}`);
    return value;
  }

  integer(name: string): number | undefined {
    const value = this.values[name];
    return typeof value === 'number' ? value : undefined;
  }

  number(name: string): number | undefined {
    return this.integer(name);
  }

  flag(name: string): boolean {
    return this.values[name] === true;
  }

  list(name: string): string[] {
    const value = this.values[name];
    return Array.isArray(value) ? value : [];
  }
}
