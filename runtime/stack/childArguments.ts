// Parses the `--name value` arguments of the emulator child entries (cosmosMain, azuriteMain), naming the bad one.

export function readArguments(argv: string[]): Map<string, string> {
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i];
    const value = argv[i + 1];
    if (!name.startsWith('--') || value === undefined)
      throw new Error(`bad argument '${name}': expected --name value`);
    values.set(name.slice(2), value);
  }
  return values;
}

export function requireString(values: Map<string, string>, name: string): string {
  const value = values.get(name);
  if (!value) throw new Error(`missing argument --${name}`);
  return value;
}

export function readPort(values: Map<string, string>, name: string): number {
  const text = values.get(name) ?? '0';
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`--${name} must be a port (0-65535), got '${text}'`);
  return port;
}

/** Keeps a child alive when its parent (the launcher) died and nobody reads its pipes any more. */
export function ignoreBrokenPipes(): void {
  process.stdout.on('error', () => undefined);
  process.stderr.on('error', () => undefined);
}
