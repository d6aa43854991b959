// The emulators' ports of the last `npm start`, kept in the data directory and taken again when they are free: the
// download links a job's output listing gave (SAS URLs naming Azurite's port) keep working across a restart.
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';

export interface StackPorts {
  blobPort?: number;
  queuePort?: number;
  tablePort?: number;
  cosmosPort?: number;
}

const fileName = 'stack-ports.json';
const names = ['blobPort', 'queuePort', 'tablePort', 'cosmosPort'] as const;

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** `wanted` (the environment's), else the last start's ports that are free now; the rest left to the stack. */
export async function preferredStackPorts(dataDir: string, wanted: StackPorts): Promise<StackPorts> {
  let saved: StackPorts = {};
  try {
    saved = JSON.parse(fs.readFileSync(path.join(dataDir, fileName), 'utf8')) as StackPorts;
  } catch {
    saved = {}; // none yet, or unreadable: free ports
  }
  const ports: StackPorts = {};
  for (const name of names) {
    const previous = saved[name];
    if (wanted[name] !== undefined) ports[name] = wanted[name];
    else if (
      Number.isInteger(previous) &&
      previous! > 0 &&
      previous! < 65536 &&
      (await portIsFree(previous!))
    )
      ports[name] = previous;
  }
  return ports;
}

/** Records the ports the stack listens on, from its endpoints. */
export function saveStackPorts(
  dataDir: string,
  endpoints: Record<`${'blob' | 'queue' | 'table' | 'cosmos'}Endpoint`, string>,
): void {
  const portOf = (url: string): number => Number(new URL(url).port);
  const ports: StackPorts = {
    blobPort: portOf(endpoints.blobEndpoint),
    queuePort: portOf(endpoints.queueEndpoint),
    tablePort: portOf(endpoints.tableEndpoint),
    cosmosPort: portOf(endpoints.cosmosEndpoint),
  };
  fs.writeFileSync(path.join(dataDir, fileName), `${JSON.stringify(ports)}\n`);
}
