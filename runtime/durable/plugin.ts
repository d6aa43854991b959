// The Durable Task engine as a plugin of the local Functions host: serves orchestrationTrigger, activityTrigger
// and entityTrigger functions, the durableClient input binding and the durable HTTP API on the host's listener.
import * as path from 'path';
import type { HostServices, RegisteredFunction, TriggerPlugin } from '../host/plugin';
import { DurableEngine } from './durableEngine';
import { defaultPlannerConfig, type PlannerConfig } from './episodePlanner';
import { serveDurableClientInProcess } from './inProcessClientTransport';
import {
  createManagementHandler,
  durableClientData,
  durableSystemKeyName,
  webhookPath,
} from './managementApi';
import { parseVersioning } from './orchestrationVersion';
import { parseTimeSpanMs } from './timeSpan';

export interface DurablePluginOptions {
  /** Overrides host.json extensions.durableTask values (tests use small timer limits). */
  hubName?: string;
  maxConcurrentActivityFunctions?: number;
  maxConcurrentOrchestratorFunctions?: number;
  planner?: Partial<PlannerConfig>;
  /** Where the engine's log lives (default `<dataDir>/durable/<hubName>`). */
  directory?: string;
}

export interface DurablePlugin extends TriggerPlugin {
  /** The running engine (after start), for benchmarks and diagnostics. */
  readonly engine: DurableEngine | undefined;
}

function durableTaskSection(hostJson: Record<string, unknown>): Record<string, unknown> {
  const extensions = hostJson.extensions;
  if (typeof extensions !== 'object' || extensions === null) return {};
  const section = (extensions as Record<string, unknown>).durableTask;
  return typeof section === 'object' && section !== null ? (section as Record<string, unknown>) : {};
}

function positiveInt(value: unknown, field: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1)
    throw new Error(`${field}: expected a positive integer`);
  return value;
}

function timeSpanMs(value: unknown, field: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'string') throw new Error(`${field}: expected a TimeSpan string`);
  return parseTimeSpanMs(value, field);
}

export function createDurablePlugin(options: DurablePluginOptions = {}): DurablePlugin {
  let engine: DurableEngine | undefined;
  let stopInProcessClient: (() => void) | undefined;
  return {
    triggerTypes: ['orchestrationTrigger', 'activityTrigger', 'entityTrigger'],
    get engine() {
      return engine;
    },
    async start(host: HostServices, functions: RegisteredFunction[]): Promise<void> {
      const section = durableTaskSection(host.hostJson);
      const hubName =
        options.hubName ?? (typeof section.hubName === 'string' ? section.hubName : 'TestHubName');
      const prefix = 'host.json extensions.durableTask';
      const planner: PlannerConfig = {
        maximumShortTimerMs: timeSpanMs(
          section.maximumShortTimerDuration,
          `${prefix}.maximumShortTimerDuration`,
          defaultPlannerConfig.maximumShortTimerMs,
        ),
        longRunningTimerIntervalMs: timeSpanMs(
          section.longRunningTimerIntervalDuration,
          `${prefix}.longRunningTimerIntervalDuration`,
          defaultPlannerConfig.longRunningTimerIntervalMs,
        ),
        ...options.planner,
      };
      const byTrigger = (type: string): string[] =>
        functions.filter((f) => f.trigger.type === type).map((f) => f.name);
      engine = new DurableEngine({
        dataDir: options.directory ?? path.join(host.dataDir, 'durable', hubName),
        hubName,
        invoke: (name, input) => host.invoke(name, input),
        orchestrators: byTrigger('orchestrationTrigger'),
        activities: byTrigger('activityTrigger'),
        entities: byTrigger('entityTrigger'),
        maxConcurrentActivityFunctions:
          options.maxConcurrentActivityFunctions ??
          positiveInt(section.maxConcurrentActivityFunctions, `${prefix}.maxConcurrentActivityFunctions`, 10),
        maxConcurrentOrchestratorFunctions:
          options.maxConcurrentOrchestratorFunctions ??
          positiveInt(
            section.maxConcurrentOrchestratorFunctions,
            `${prefix}.maxConcurrentOrchestratorFunctions`,
            10,
          ),
        planner,
        versioning: parseVersioning(section, prefix),
        log: (m) => host.log.info(m),
        error: (m) => host.log.error(m),
        // Memory holds commits the log refused: the host exits (70, EX_SOFTWARE) and is restarted by its
        // supervisor (npm start; the platform on Azure), which replays the log. Messages being handled are
        // delivered again.
        onHalt: () => setTimeout(() => process.exit(70), 100),
      });
      // The management API asks for the durabletask_extension system key (or the master key); the app's client
      // gets it in its binding data's URLs, and its rpcBaseUrl calls (no query) are served in process with it.
      const systemKey = host.keys.systemKey(durableSystemKeyName);
      const clientData = durableClientData(host.baseUrl, hubName, systemKey);
      host.registerInputBinding({
        bindingType: 'durableClient',
        provide: () => ({ json: JSON.stringify(clientData) }),
      });
      const management = createManagementHandler(engine, hubName, host.keys);
      host.addSystemRoute(webhookPath, management);
      stopInProcessClient = serveDurableClientInProcess(host.baseUrl, webhookPath, management, systemKey);
      engine.start();
    },
    async stop(): Promise<void> {
      stopInProcessClient?.();
      stopInProcessClient = undefined;
      await engine?.stop();
    },
  };
}
