// A job's launch planned at submission on a few stand-in nodes: what its properties alone decide (a custom toolkit
// without a commandLine, a Python toolkit without its script, a CNTK job without a config file, a job preparation
// without a command line) is a 400 naming the field at the PUT, not a JobLaunchFailed on a node minutes later.
// Only refusals that do not depend on the nodes count: the plan has at most `standInNodes` nodes of one GPU, the
// counts of processes, workers and parameter servers are brought within them (a request cannot make the API build a
// plan of thousands of tasks: the launch does that, with the real nodes), and secrets get stand-in values.
import { ValidationError } from '../errors';
import type { JsonObject } from '../specValidator';
import { toolkitTypes } from '../jobRules';
import { buildLaunchPlan } from './launchPlanBuilder';

const standInNodes = 2;
/** The settings that count tasks (toolkit settings), brought within the stand-in nodes. */
const countSettings = ['processCount', 'workerCount', 'parameterServerCount'];

/** `properties` with the node count and the toolkit's task counts at most the stand-in nodes'. */
function withinStandIns(properties: JsonObject, nodeCount: number): JsonObject {
  const copy: JsonObject = { ...properties, nodeCount };
  for (const toolkit of Object.keys(toolkitTypes)) {
    const settings = properties[toolkit];
    if (!settings || typeof settings !== 'object' || Array.isArray(settings)) continue;
    const bounded: JsonObject = { ...settings };
    for (const name of countSettings) {
      const value = bounded[name];
      if (typeof value === 'number' && value > nodeCount) bounded[name] = nodeCount;
    }
    copy[toolkit] = bounded;
  }
  return copy;
}

export function checkJobLaunchable(properties: JsonObject): void {
  const nodeCount = Math.min(Math.max(1, Number(properties.nodeCount) || 1), standInNodes);
  const secrets = Array.isArray(properties.secrets) ? properties.secrets : [];
  try {
    buildLaunchPlan({
      job: {
        name: 'job',
        uuid: 'job',
        outputDirectoryPathSegment: 'segment',
        properties: withinStandIns(properties, nodeCount),
      },
      attempt: 1,
      nodes: Array.from({ length: nodeCount }, (_, i) => ({
        id: `node-${i}`,
        address: `10.0.0.${i + 1}`,
        gpus: 1,
      })),
      secrets: Object.fromEntries(
        secrets.map((secret) => [String((secret as JsonObject | null)?.name ?? ''), 'stand-in']),
      ),
    });
  } catch (error: unknown) {
    if (error instanceof ValidationError && error.target?.startsWith('properties')) throw error;
    // Anything else depends on what only the launch has: it is reported then.
  }
}
