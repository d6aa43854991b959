// The cloud-init document a scale set VM boots with: it writes the node agent's configuration (no secrets: the
// agent reaches Storage with the VM's managed identity), installs Node.js and the agent, and runs it under systemd.
import type { AgentConfig } from '../../contracts/agentConfig';
import { jobsSlice, jobsSliceUnit } from '../../contracts/jobsSlice';

export interface AgentInstallation {
  /** URL of the agent package (a tarball of the built app with dist/agent), readable by the VM. */
  packageUrl: string;
  /** When set, the package is a blob fetched with a token of this managed identity (client id). */
  managedIdentityClientId?: string;
  /** The agent's environment (its telemetry settings: `agentTelemetrySettings`), in a file only root reads. */
  environment?: Record<string, string>;
}

const configPath = '/etc/batchai/agent.json';
const environmentPath = '/etc/batchai/agent.env';
const installDir = '/opt/batchai';

export function cloudInitCustomData(config: AgentConfig, install: AgentInstallation): string {
  if (config.storage.connectionString) {
    throw new Error(
      'A VM agent configuration must not carry a storage connection string (custom data is not secret).',
    );
  }
  const configB64 = Buffer.from(JSON.stringify(config, null, 2), 'utf8').toString('base64');
  const environment = Object.entries(install.environment ?? {}).map(([name, value]) => {
    if (!/^[A-Z_][A-Z0-9_]*$/.test(name) || /[\r\n]/.test(value)) {
      throw new Error(`The agent environment setting '${name}' cannot go into a systemd environment file.`);
    }
    return `${name}=${value}`;
  });
  const environmentB64 = Buffer.from(environment.map((line) => `${line}\n`).join(''), 'utf8').toString(
    'base64',
  );
  const tokenUrl =
    'http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01' +
    `&resource=https%3A%2F%2Fstorage.azure.com%2F&client_id=${install.managedIdentityClientId ?? ''}`;
  const fetchPackage = install.managedIdentityClientId
    ? [
        // A token for Storage from the Instance Metadata Service, for the user-assigned identity: at first boot the
        // identity may not be there yet.
        'TOKEN=',
        'for attempt in $(seq 1 60); do',
        `  TOKEN=$(curl -sf -H Metadata:true "${tokenUrl}" | sed -nE 's/.*"access_token":"([^"]+)".*/\\1/p') || true`,
        '  [ -n "$TOKEN" ] && break',
        '  sleep 10',
        'done',
        'if [ -z "$TOKEN" ]; then echo "No token for the node identity from the metadata service" >&2; exit 1; fi',
        `fetch -H "Authorization: Bearer $TOKEN" -H "x-ms-version: 2021-08-06" -o ${installDir}/agent.tgz '${install.packageUrl}'`,
      ]
    : [`fetch -o ${installDir}/agent.tgz '${install.packageUrl}'`];
  const script = [
    'set -euo pipefail',
    'export DEBIAN_FRONTEND=noninteractive',
    `mkdir -p ${installDir}`,
    // At first boot the network may come late and apt's lock may be held (cloud-init, unattended upgrades).
    'fetch() { curl -fsSL --retry 10 --retry-delay 5 --retry-connrefused "$@"; }',
    'apt_get() { apt-get -o DPkg::Lock::Timeout=600 "$@"; }',
    `node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }`,
    // Node.js 22 (20 reached its end of life in April 2026; some Azure SDK packages already need 22).
    'if [ "$(node_major)" -lt 22 ]; then',
    '  fetch -o /tmp/nodesource_setup.sh https://deb.nodesource.com/setup_22.x',
    '  bash /tmp/nodesource_setup.sh',
    '  apt_get install -y nodejs',
    'fi',
    'if [ "$(node_major)" -lt 22 ]; then echo "Node.js 22 could not be installed: no node agent" >&2; exit 1; fi',
    // Mount helpers for Azure Files (cifs), NFS file servers and blob containers (blobfuse2, Microsoft's repository).
    'if ! command -v mount.cifs >/dev/null || ! command -v mount.nfs >/dev/null || ! command -v blobfuse2 >/dev/null; then',
    '  (',
    '    if [ ! -f /etc/apt/sources.list.d/microsoft-prod.list ]; then',
    '      . /etc/os-release',
    '      fetch -o /tmp/packages-microsoft-prod.deb "https://packages.microsoft.com/config/ubuntu/${VERSION_ID}/packages-microsoft-prod.deb"',
    '      dpkg -i /tmp/packages-microsoft-prod.deb',
    '    fi',
    '    apt_get update && apt_get install -y cifs-utils nfs-common fuse3 blobfuse2',
    '  ) || echo "The mount helpers could not all be installed: mounts that need them will fail on this node" >&2',
    'fi',
    // The task launcher (agent/taskLauncher.ts) is Python 3: without it the agent starts tasks itself, and they are
    // under no contact lease should the agent hang. Ubuntu images have it; a custom image may not.
    'if ! command -v python3 >/dev/null; then',
    '  (apt_get update && apt_get install -y python3) ||',
    '    echo "Python 3 could not be installed: tasks start without the task launcher (no lease if the agent hangs)" >&2',
    'fi',
    // Jobs with containerSettings need Docker: the node image has it (with the NVIDIA runtime), plain Ubuntu not.
    'if ! command -v docker >/dev/null; then',
    '  (apt_get update && apt_get install -y docker.io) ||',
    '    echo "Docker could not be installed: container jobs will fail on this node" >&2',
    'fi',
    ...fetchPackage,
    `tar -xzf ${installDir}/agent.tgz -C ${installDir}`,
    'systemctl daemon-reload',
    'systemctl enable --now batchai-agent.service',
  ].join('\n');
  const unit = [
    '[Unit]',
    'Description=Batch AI node agent',
    // The Docker engine, when the image has one, before the agent asks for it.
    // The slice its jobs run in (agent/jobProcessFence.ts) exists before the agent fences it off from IMDS.
    `After=network-online.target docker.service ${jobsSlice}`,
    `Wants=network-online.target ${jobsSlice}`,
    // After a reboot, the temporary disk holding the work root is mounted late (it waits for cloud-init).
    `RequiresMountsFor=${config.workRoot}`,
    '[Service]',
    `EnvironmentFile=-${environmentPath}`,
    `ExecStart=/usr/bin/env node ${installDir}/dist/agent/main.js --config ${configPath}`,
    'Restart=always',
    'RestartSec=5',
    'KillMode=mixed',
    'TimeoutStopSec=40',
    '[Install]',
    'WantedBy=multi-user.target',
  ].join('\n');
  const indent = (text: string): string =>
    text
      .split('\n')
      .map((line) => `      ${line}`)
      .join('\n');
  return [
    '#cloud-config',
    'write_files:',
    `  - path: ${configPath}`,
    "    permissions: '0644'",
    '    encoding: b64',
    `    content: ${configB64}`,
    `  - path: ${environmentPath}`,
    "    permissions: '0600'",
    '    encoding: b64',
    `    content: ${environmentB64}`,
    `  - path: /etc/systemd/system/${jobsSlice}`,
    "    permissions: '0644'",
    '    content: |',
    indent(jobsSliceUnit.trimEnd()),
    '  - path: /etc/systemd/system/batchai-agent.service',
    "    permissions: '0644'",
    '    content: |',
    indent(unit),
    `  - path: ${installDir}/install.sh`,
    "    permissions: '0755'",
    '    content: |',
    indent(script),
    'runcmd:',
    `  - [ /bin/bash, ${installDir}/install.sh ]`,
    '',
  ].join('\n');
}
