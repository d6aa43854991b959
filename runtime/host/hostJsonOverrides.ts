// App settings that override host.json, as the Functions host does: `AzureFunctionsJobHost__extensions__queues__
// maxPollingInterval=00:00:00.1` replaces `extensions.queues.maxPollingInterval` (path segments separated by `__`,
// matched case-insensitively against existing keys). Lets a local run poll fast while host.json keeps Azure's values.

const prefix = 'azurefunctionsjobhost__';

/** A setting's string as host.json would hold it: integers and booleans become JSON numbers and booleans. */
function typedValue(text: string): unknown {
  if (/^-?\d+$/.test(text)) return Number(text);
  if (text === 'true' || text === 'false') return text === 'true';
  return text;
}

/** A deep copy of `raw` with every `AzureFunctionsJobHost__...` setting applied. */
export function applyHostJsonOverrides(
  raw: Record<string, unknown>,
  settings: Record<string, string | undefined>,
): Record<string, unknown> {
  const result = structuredClone(raw);
  const names = Object.keys(settings)
    .filter((name) => name.toLowerCase().startsWith(prefix) && settings[name] !== undefined)
    .sort();
  for (const name of names) {
    const segments = name.slice(prefix.length).split('__');
    if (segments.some((segment) => segment === '')) {
      throw new Error(`App setting ${name}: empty host.json path segment (use single "__" separators).`);
    }
    let target = result;
    for (const [index, segment] of segments.entries()) {
      const key = Object.keys(target).find((k) => k.toLowerCase() === segment.toLowerCase()) ?? segment;
      if (index === segments.length - 1) {
        target[key] = typedValue(settings[name]!);
        break;
      }
      const next = target[key];
      if (!next || typeof next !== 'object' || Array.isArray(next)) target[key] = {};
      target = target[key] as Record<string, unknown>;
    }
  }
  return result;
}
