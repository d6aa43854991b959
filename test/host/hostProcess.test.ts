// The supervisor's view of the host process: its grace at stop outlasts the host's own shutdown deadline.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { defaultShutdownTimeoutMs } from '../../runtime/host/shutdownTimeout';
import { HostProcess } from '../../runtime/supervisor/hostProcess';

describe('HostProcess', () => {
  it('waits longer than the host drain deadline before SIGKILL', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hostprocess-'));
    // An app the host refuses at once: only the process object is of interest.
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ main: 'missing/*.js' }));
    const hosts = [
      new HostProcess({ appRoot: dir, port: 0, dataDir: path.join(dir, 'a'), env: { ...process.env } }),
      new HostProcess({
        appRoot: dir,
        port: 0,
        dataDir: path.join(dir, 'b'),
        env: { ...process.env, FUNCTIONS_HOST_SHUTDOWN_TIMEOUT_MS: '45000' },
      }),
    ];
    try {
      expect(hosts[0].defaultGraceMs()).toBeGreaterThan(defaultShutdownTimeoutMs);
      expect(hosts[1].defaultGraceMs()).toBeGreaterThan(45_000);
    } finally {
      for (const h of hosts) {
        h.child.kill('SIGKILL');
        await h.exited;
      }
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
