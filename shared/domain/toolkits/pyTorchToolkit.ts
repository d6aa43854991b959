// pyTorchSettings: one process per rank (processCount, spread over the gang) with what torch.distributed expects
// (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT) and Batch AI's AZ_BATCHAI_PYTORCH_INIT_METHOD /
// AZ_BATCHAI_PYTORCH_BACKEND; AZ_BATCHAI_TASK_INDEX is the rank. The MPI backend runs under mpirun instead.
import { ValidationError } from '../errors';
import { stdOutErrFileNames } from '../jobLayout/jobOutputLayout';
import { optionalSetting, pythonCommand } from './commandParts';
import { makeProcess } from './jobLaunchContext';
import type { PlannedProcess } from './launchPlan';
import { mpiLaunch } from './mpiLaunch';
import { processCountOf, spreadProcesses } from './processCount';
import type { ToolkitPlanner } from './toolkitPlanner';

const backends: Record<string, string> = { tcp: 'tcp', gloo: 'gloo', mpi: 'mpi' };

export const planPyTorchToolkit: ToolkitPlanner = (context, settings) => {
  const field = 'properties.pyTorchSettings';
  const command = pythonCommand(settings, field, optionalSetting(settings, 'commandLineArgs'));
  const processCount = processCountOf(settings, field, context.nodes.length);
  const given = settings.communicationBackend;
  const backend = given === undefined ? 'gloo' : backends[String(given).toLowerCase()];
  if (!backend)
    throw new ValidationError(
      `${field}.communicationBackend`,
      `'${field}.communicationBackend' must be one of TCP, Gloo, MPI.`,
    );
  if (backend === 'mpi') return mpiLaunch(context, processCount, command);

  const port = context.input.ports?.pyTorchMasterPort ?? 29500;
  const masterAddress = context.nodes[0].address;
  // A TCP rendezvous on the master rather than Batch AI's file:// one on a shared NFS directory: it needs no
  // shared file system, and torch.distributed.init_process_group accepts both the same way.
  const initMethod = `tcp://${masterAddress}:${port}`;
  const perNodeCounts = spreadProcesses(processCount, context.nodes.length);
  let rank = 0;
  const perNode = perNodeCounts.map((count, nodeIndex) => {
    const processes: PlannedProcess[] = [];
    for (let localRank = 0; localRank < count; localRank++, rank++) {
      const files = stdOutErrFileNames.task('rank', rank);
      processes.push(
        makeProcess(context, nodeIndex, {
          name: `rank-${rank}`,
          role: 'rank',
          taskIndex: rank,
          commandLine: command,
          variables: {
            AZ_BATCHAI_PYTORCH_INIT_METHOD: initMethod,
            AZ_BATCHAI_PYTORCH_BACKEND: backend,
            MASTER_ADDR: masterAddress,
            MASTER_PORT: String(port),
            RANK: String(rank),
            WORLD_SIZE: String(processCount),
            LOCAL_RANK: String(localRank),
          },
          stdoutFile: files.stdout,
          stderrFile: files.stderr,
        }),
      );
    }
    return processes;
  });
  return { perNode, hostSlots: perNodeCounts };
};
