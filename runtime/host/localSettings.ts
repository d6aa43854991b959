// Reads `local.settings.json` (`Values`) of the app root, as `func start` does; environment variables win over it.
import * as fs from 'fs';
import * as path from 'path';

export function readLocalSettings(appRoot: string): Record<string, string> {
  const file = path.join(appRoot, 'local.settings.json');
  if (!fs.existsSync(file)) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err: unknown) {
    throw new Error(`${file}: invalid JSON (${(err as Error).message}).`);
  }
  const values = (parsed as { Values?: unknown } | null)?.Values;
  if (values === undefined) return {};
  if (!values || typeof values !== 'object' || Array.isArray(values))
    throw new Error(`${file}: "Values" must be an object.`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(values)) {
    if (typeof v !== 'string') throw new Error(`${file}: Values.${k} must be a string.`);
    out[k] = v;
  }
  return out;
}
