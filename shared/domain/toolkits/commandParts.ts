// Builds toolkit command lines from the settings' parts, the way Batch AI composed them
// (`<interpreter> <script> <args>`), with a field-naming error for a missing required part.
import { ValidationError } from '../errors';
import type { JsonObject } from '../specValidator';

export function requiredSetting(settings: JsonObject, name: string, field: string): string {
  const value = settings[name];
  if (typeof value !== 'string' || value.trim() === '') {
    throw new ValidationError(`${field}.${name}`, `'${field}.${name}' is required.`);
  }
  return value;
}

export function optionalSetting(settings: JsonObject, name: string): string | undefined {
  const value = settings[name];
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

export function commandLine(...parts: (string | undefined)[]): string {
  return parts
    .filter((part): part is string => part !== undefined && part.trim() !== '')
    .map((part) => part.trim())
    .join(' ');
}

/** `python <script> <args>` with the settings' interpreter (default `python`, as on Batch AI's images). */
export function pythonCommand(settings: JsonObject, field: string, args: string | undefined): string {
  return commandLine(
    optionalSetting(settings, 'pythonInterpreterPath') ?? 'python',
    requiredSetting(settings, 'pythonScriptFilePath', field),
    args,
  );
}
