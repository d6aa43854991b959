// Makes `require('@azure/functions-core')` resolve to the local host's core API, as the Node worker does by
// intercepting Module._load for that one name. One core API per process: the library caches the module once.
import Module from 'module';
import { FunctionsCoreApi, type LogSink } from './functionsCoreApi';

const coreModuleName = '@azure/functions-core';

interface ModuleWithLoad {
  _load(request: string, parent: unknown, isMain: boolean): unknown;
}

let installed: FunctionsCoreApi | undefined;

/** Installs the interception once and returns the process-wide core API (its log sink replaced by `sink`). */
export function installFunctionsCoreModule(sink: LogSink): FunctionsCoreApi {
  if (installed) {
    installed.setLogSink(sink);
    return installed;
  }
  const core = new FunctionsCoreApi(sink);
  const coreModule = core.toModule();
  const mod = Module as unknown as ModuleWithLoad;
  const originalLoad = mod._load;
  mod._load = function (this: unknown, request: string, parent: unknown, isMain: boolean): unknown {
    if (request === coreModuleName) return coreModule;
    return originalLoad.call(this, request, parent, isMain);
  };
  installed = core;
  return core;
}
