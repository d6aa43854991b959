// Queue trigger: file server commands from the resource API start the file server's monitor orchestration or
// wake it with a 'fileServerChanged' event. Malformed commands are set aside with the reason.
import { fileServerCommandsQueue } from '../../shared/config/resourceNames';
import { parseFileServerCommand } from '../../shared/contracts/fileServerCommand';
import {
  fileServerChangedEvent,
  fileServerMonitorInstanceId,
  fileServerMonitorName,
  type FileServerMonitorInput,
} from '../../orchestrations/compute/fileServerMonitorContract';
import { monitorCommandsTrigger } from './monitorCommandsTrigger';

monitorCommandsTrigger(
  'fileServerCommands',
  fileServerCommandsQueue,
  parseFileServerCommand,
  'file server command',
  (command) => {
    const input: FileServerMonitorInput = {
      fileServerKey: command.fileServerKey,
      fileServer: command.fileServer,
    };
    return {
      orchestrator: fileServerMonitorName,
      instanceId: fileServerMonitorInstanceId(command.fileServerKey),
      input,
      event: fileServerChangedEvent,
      eventData: {},
    };
  },
);
