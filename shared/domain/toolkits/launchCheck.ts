// A job's launch planned at submission with stand-in nodes: what its properties alone decide (a custom toolkit
// without a commandLine, a Python toolkit without its script, a CNTK job without a config file, a job preparation
// without a command line) is a 400 naming the field at the PUT, not a JobLaunchFailed on a node minutes later.
// Only refusals of the properties count: the stand-in nodes have GPUs enough for any TensorFlow worker count and the
// secrets stand-in values, so nothing that depends on the nodes or the secrets at launch is refused here.
import { ValidationError } from '../errors';
import type { JsonObject } from '../specValidator';
import { buildLaunchPlan } from './launchPlanBuilder';

/** A scale set's most nodes: a larger job can never run (the scheduler says so), and is not planned here. */
const maxNodes = 1000;

export function checkJobLaunchable(properties: JsonObject): void {
  const nodeCount = Math.max(1, Number(properties.nodeCount) || 1);
  if (nodeCount > maxNodes) return;
  const secrets = Array.isArray(properties.secrets) ? properties.secrets : [];
  try {
    buildLaunchPlan({
      job: { name: 'job', uuid: 'job', outputDirectoryPathSegment: 'segment', properties },
      attempt: 1,
      nodes: Array.from({ length: nodeCount }, (_, i) => ({
        id: `node-${i}`,
        address: `10.0.0.${i + 1}`,
        gpus: 1024,
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
