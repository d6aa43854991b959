// Loads the function app like the worker's startApp: reads package.json `main` of the app root, requires each entry
// file (glob allowed) with `@azure/functions-core` injected, and turns the registrations into RegisteredFunctions.
import * as fs from 'fs';
import * as path from 'path';
import { expandEntryPoint, hasGlobMagic } from './entryPointGlob';
import type { FunctionsCoreApi } from './functionsCoreApi';
import type { BindingMetadata, RegisteredFunction, RetryOptions } from './plugin';

export class AppLoadError extends Error {
  override name = 'AppLoadError';
}

/** Reads `main` from the app's package.json (the worker treats a missing main as "index.js" only in v3; v4 needs it). */
export function readEntryPointPattern(appRoot: string): string {
  const pkgPath = path.join(appRoot, 'package.json');
  let pkg: unknown;
  try {
    pkg = JSON.parse(fs.readFileSync(pkgPath, 'utf8'));
  } catch (err: unknown) {
    throw new AppLoadError(`Cannot read ${pkgPath}: ${(err as Error).message}`);
  }
  const main = (pkg as { main?: unknown }).main;
  if (typeof main !== 'string' || main.length === 0) {
    throw new AppLoadError(`${pkgPath}: "main" must name the app's entry file (or a glob of entry files).`);
  }
  return main;
}

/** Requires the app's entry files; registrations land in `core`. Returns the files loaded (absolute paths). */
export function loadEntryPoints(appRoot: string, core: FunctionsCoreApi): string[] {
  const pattern = readEntryPointPattern(appRoot);
  const files = expandEntryPoint(pattern, appRoot);
  if (files.length === 0) {
    const why = hasGlobMagic(pattern)
      ? 'Found zero files matching the supplied pattern'
      : 'File does not exist';
    throw new AppLoadError(
      `Worker was unable to load entry point "${pattern}": ${why} (app root ${appRoot}).`,
    );
  }
  const loaded: string[] = [];
  for (const rel of files) {
    const abs = path.resolve(appRoot, rel);
    core.currentEntryPoint = abs;
    try {
      // The worker loads CommonJS entry files with require (synchronous, shares the module cache with the library).
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require(abs);
    } catch (err: unknown) {
      const e = err instanceof Error ? err : new Error(String(err));
      throw new AppLoadError(`Worker was unable to load entry point "${rel}": ${e.stack ?? e.message}`);
    } finally {
      core.currentEntryPoint = undefined;
    }
    loaded.push(abs);
  }
  return loaded;
}

function toRetryOptions(
  fnName: string,
  raw: Record<string, unknown> | null | undefined,
): RetryOptions | undefined {
  if (!raw) return undefined;
  const strategy = raw.retryStrategy ?? raw.strategy;
  if (strategy !== 'fixedDelay' && strategy !== 'exponentialBackoff') {
    throw new AppLoadError(
      `Function "${fnName}": retry.strategy must be "fixedDelay" or "exponentialBackoff".`,
    );
  }
  const maxRetryCount = raw.maxRetryCount;
  if (typeof maxRetryCount !== 'number' || !Number.isInteger(maxRetryCount) || maxRetryCount < -1) {
    throw new AppLoadError(
      `Function "${fnName}": retry.maxRetryCount must be an integer >= -1 (-1 = forever).`,
    );
  }
  return {
    strategy,
    maxRetryCount,
    delayInterval: raw.delayInterval,
    minimumInterval: raw.minimumInterval,
    maximumInterval: raw.maximumInterval,
  };
}

/** Validates the registrations and names each function's trigger binding. */
export function toRegisteredFunctions(core: FunctionsCoreApi): Map<string, RegisteredFunction> {
  const result = new Map<string, RegisteredFunction>();
  for (const { metadata } of core.functions.values()) {
    const bindings: Record<string, BindingMetadata> = {};
    const triggers: [string, BindingMetadata][] = [];
    for (const [bindingName, binding] of Object.entries(metadata.bindings)) {
      if (!binding || typeof binding.type !== 'string') {
        throw new AppLoadError(`Function "${metadata.name}": binding "${bindingName}" has no "type".`);
      }
      bindings[bindingName] = binding;
      if (/trigger$/i.test(binding.type)) triggers.push([bindingName, binding]);
    }
    if (triggers.length !== 1) {
      throw new AppLoadError(
        `Function "${metadata.name}" must have exactly one trigger binding, found ${triggers.length}.`,
      );
    }
    const [triggerName, trigger] = triggers[0];
    result.set(metadata.name, {
      name: metadata.name,
      bindings,
      retryOptions: toRetryOptions(metadata.name, metadata.retryOptions),
      triggerName,
      trigger,
    });
  }
  return result;
}
