// Queue trigger: cluster commands from the resource API ('apply', 'release') start the cluster's monitor
// orchestration or wake it with a 'clusterChanged' event. Malformed commands are set aside with the reason.
import { clusterCommandsQueue } from '../../shared/config/resourceNames';
import { parseClusterCommand } from '../../shared/contracts/clusterCommand';
import {
  clusterChangedEvent,
  clusterMonitorInstanceId,
  clusterMonitorName,
  type ReconcileInput,
} from '../../orchestrations/compute/clusterMonitorContract';
import { monitorCommandsTrigger } from './monitorCommandsTrigger';

monitorCommandsTrigger(
  'clusterCommands',
  clusterCommandsQueue,
  parseClusterCommand,
  'cluster command',
  (command) => {
    const input: ReconcileInput = {
      clusterKey: command.clusterKey,
      cluster: command.cluster,
      firstPass: true,
    };
    return {
      orchestrator: clusterMonitorName,
      instanceId: clusterMonitorInstanceId(command.clusterKey),
      input,
      event: clusterChangedEvent,
      eventData: { kind: command.kind },
    };
  },
);
