// Resolves binding expressions in binding paths and names as the Functions host does: `%AppSetting%`, `{rand-guid}`,
// `{DateTime}` and `{name}` from the trigger metadata (route parameters, queueTrigger, JSON properties of the trigger).
import { randomUUID } from 'crypto';
import type { RpcTypedData } from './plugin';

function metadataValue(data: RpcTypedData | undefined): unknown {
  if (!data) return undefined;
  if ('string' in data) return data.string;
  if ('json' in data) {
    try {
      return JSON.parse(data.json);
    } catch {
      return data.json;
    }
  }
  if ('int' in data) return data.int;
  if ('double' in data) return data.double;
  return undefined;
}

export function resolveBindingExpression(
  template: string,
  settings: Readonly<Record<string, string | undefined>>,
  triggerMetadata: Record<string, RpcTypedData>,
  where: string,
): string {
  const withSettings = template.replace(/%([^%]+)%/g, (_, name: string) => {
    const v = settings[name];
    if (v === undefined) throw new Error(`${where}: app setting "${name}" (in "${template}") is not set.`);
    return v;
  });
  const lowerKeys = new Map(Object.keys(triggerMetadata).map((k) => [k.toLowerCase(), k]));
  return withSettings.replace(/\{([^{}]+)\}/g, (_, expr: string) => {
    const e = expr.trim();
    if (e.toLowerCase() === 'rand-guid') return randomUUID();
    if (e.toLowerCase() === 'datetime') return new Date().toISOString();
    const [head, ...path] = e.split('.');
    const key = lowerKeys.get(head.toLowerCase());
    let value = key ? metadataValue(triggerMetadata[key]) : undefined;
    for (const p of path)
      value = value && typeof value === 'object' ? (value as Record<string, unknown>)[p] : undefined;
    if (value === undefined || value === null || typeof value === 'object') {
      throw new Error(
        `${where}: binding expression "{${e}}" in "${template}" has no value in this invocation.`,
      );
    }
    return String(value);
  });
}
