// A node's performance counters for its cluster's Application Insights (Batch AI's nodeSetup.
// performanceCountersSettings): CPU, memory, network, the free space of the work disk and, on GPU nodes, nvidia-smi's
// utilization, sampled every interval and sent as metric items (`customMetrics`, with the cluster, node and VM size
// as dimensions) with the cluster's instrumentation key, opened from its sealed value in memory only.
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as https from 'https';
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import type { AgentPerformanceCounters } from '../shared/contracts/agentConfig';

export interface CpuTimes {
  idle: number;
  total: number;
}

/** The machine's CPU times from /proc/stat's first line (`cpu user nice system idle iowait irq softirq steal`). */
export function parseCpuTimes(procStat: string): CpuTimes {
  const line = procStat.split('\n').find((l) => /^cpu\s/.test(l));
  if (!line) throw new Error('/proc/stat has no cpu line');
  const values = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const [user, nice, system, idle, iowait = 0, irq = 0, softirq = 0, steal = 0] = values;
  return { idle: idle + iowait, total: user + nice + system + idle + iowait + irq + softirq + steal };
}

export function cpuUsagePercent(before: CpuTimes, after: CpuTimes): number {
  const total = after.total - before.total;
  if (total <= 0) return 0;
  return Math.round((1000 * (total - (after.idle - before.idle))) / total) / 10;
}

/** MemTotal and MemAvailable of /proc/meminfo, in bytes. */
export function parseMemory(meminfo: string): { totalBytes: number; availableBytes: number } {
  const kib = (name: string): number => {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(meminfo);
    if (!match) throw new Error(`/proc/meminfo has no ${name}`);
    return Number(match[1]) * 1024;
  };
  return { totalBytes: kib('MemTotal'), availableBytes: kib('MemAvailable') };
}

/** Bytes received and sent by every interface but loopback, from /proc/net/dev. */
export function parseNetworkBytes(netDev: string): { received: number; sent: number } {
  let received = 0;
  let sent = 0;
  for (const line of netDev.split('\n').slice(2)) {
    const [name, rest] = line.split(':');
    if (!rest || name.trim() === 'lo') continue;
    const fields = rest.trim().split(/\s+/).map(Number);
    received += fields[0] ?? 0;
    sent += fields[8] ?? 0;
  }
  return { received, sent };
}

/** `nvidia-smi --query-gpu=utilization.gpu,memory.used,memory.total --format=csv,noheader,nounits` per GPU. */
export function parseGpus(csv: string): { utilization: number; memoryUsedPercent: number }[] {
  return csv
    .split('\n')
    .map((line) => line.split(',').map((v) => Number(v.trim())))
    .filter((fields) => fields.length === 3 && fields.every(Number.isFinite) && fields[2] > 0)
    .map(([utilization, used, total]) => ({
      utilization,
      memoryUsedPercent: Math.round((1000 * used) / total) / 10,
    }));
}

export interface NodeIdentity {
  clusterKey: string;
  nodeId: string;
  vmSize: string;
}

/** Application Insights metric items (one metric each, as the service's customMetrics expects). */
export function metricItems(
  instrumentationKey: string,
  node: NodeIdentity,
  time: Date,
  metrics: { name: string; value: number }[],
): Record<string, unknown>[] {
  return metrics.map(({ name, value }) => ({
    name: `Microsoft.ApplicationInsights.${instrumentationKey.replace(/-/g, '')}.Metric`,
    time: time.toISOString(),
    iKey: instrumentationKey,
    tags: { 'ai.cloud.role': 'batchai-node', 'ai.cloud.roleInstance': node.nodeId },
    data: {
      baseType: 'MetricData',
      baseData: {
        ver: 2,
        metrics: [{ name, kind: 0, value, count: 1 }],
        properties: { cluster: node.clusterKey, node: node.nodeId, vmSize: node.vmSize },
      },
    },
  }));
}

interface Sample {
  at: number;
  cpu: CpuTimes;
  network: { received: number; sent: number };
}

/** The audience of Application Insights ingestion tokens. */
const ingestionScope = 'https://monitor.azure.com//.default';

export class PerformanceCounterReporter {
  private timer: NodeJS.Timeout | undefined;
  private last: Sample | undefined;
  private failing = false;
  private readonly agent: https.Agent;
  /** Whether the next round signs in with the identity's token (what worked last) or sends the key alone. */
  private withToken: boolean;
  private token: AccessToken | undefined;

  constructor(
    private readonly settings: AgentPerformanceCounters,
    private readonly instrumentationKey: string,
    private readonly node: NodeIdentity,
    private readonly workRoot: string,
    private readonly gpuCount: number,
    private readonly log: (level: 'info' | 'warn', message: string) => void,
    /** The node identity, for a component that takes Entra ID tokens only (local authentication disabled). */
    private readonly credential?: TokenCredential,
  ) {
    this.agent = new https.Agent({ keepAlive: true, ca: settings.ingestionCertificate });
    this.withToken = credential !== undefined;
  }

  start(): void {
    this.last = this.sample();
    this.timer = setInterval(() => void this.tick(), this.settings.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.agent.destroy();
  }

  private sample(): Sample {
    return {
      at: Date.now(),
      cpu: parseCpuTimes(fs.readFileSync('/proc/stat', 'utf8')),
      network: parseNetworkBytes(fs.readFileSync('/proc/net/dev', 'utf8')),
    };
  }

  /** One round: the counters since the last sample, sent; a failure is logged once until a round succeeds. */
  async tick(): Promise<void> {
    try {
      const now = this.sample();
      const before = this.last ?? now;
      this.last = now;
      const seconds = Math.max((now.at - before.at) / 1000, 0.001);
      const memory = parseMemory(fs.readFileSync('/proc/meminfo', 'utf8'));
      const disk = fs.statfsSync(this.workRoot);
      const metrics = [
        { name: 'Node CPU usage (%)', value: cpuUsagePercent(before.cpu, now.cpu) },
        {
          name: 'Node memory usage (%)',
          value: Math.round((1000 * (memory.totalBytes - memory.availableBytes)) / memory.totalBytes) / 10,
        },
        { name: 'Node memory available (bytes)', value: memory.availableBytes },
        {
          name: 'Node network received (bytes/s)',
          value: Math.round((now.network.received - before.network.received) / seconds),
        },
        {
          name: 'Node network sent (bytes/s)',
          value: Math.round((now.network.sent - before.network.sent) / seconds),
        },
        { name: 'Node disk free (bytes)', value: disk.bavail * disk.bsize },
      ];
      const gpus = this.gpuCount > 0 ? await this.gpuSample() : [];
      if (gpus.length > 0) {
        const mean = (values: number[]): number =>
          Math.round((10 * values.reduce((a, b) => a + b, 0)) / values.length) / 10;
        metrics.push(
          { name: 'Node GPU usage (%)', value: mean(gpus.map((g) => g.utilization)) },
          { name: 'Node GPU memory usage (%)', value: mean(gpus.map((g) => g.memoryUsedPercent)) },
        );
      }
      await this.send(metricItems(this.instrumentationKey, this.node, new Date(now.at), metrics));
      if (this.failing) this.log('info', 'performance counters are sent again');
      this.failing = false;
    } catch (error: unknown) {
      if (!this.failing) this.log('warn', `could not send performance counters: ${(error as Error).message}`);
      this.failing = true;
    }
  }

  private gpuSample(): Promise<{ utilization: number; memoryUsedPercent: number }[]> {
    return new Promise((resolve) => {
      execFile(
        'nvidia-smi',
        ['--query-gpu=utilization.gpu,memory.used,memory.total', '--format=csv,noheader,nounits'],
        { timeout: 10_000 },
        (error, stdout) => resolve(error ? [] : parseGpus(stdout)),
      );
    });
  }

  /**
   * Sends the items the way that worked last: signed in with the identity's token, or with the key alone. With an
   * identity, a failed way is followed at once by the other (a component may take only one of them, and a role
   * assignment may take minutes to apply), and the one that worked is kept.
   */
  private async send(items: Record<string, unknown>[]): Promise<void> {
    const body = Buffer.from(JSON.stringify(items), 'utf8');
    try {
      await this.post(body, this.withToken);
    } catch (error: unknown) {
      if (!this.credential) throw error;
      try {
        await this.post(body, !this.withToken);
      } catch (second: unknown) {
        const [signedIn, keyOnly] = this.withToken ? [error, second] : [second, error];
        throw new Error(
          `with the identity's token: ${(signedIn as Error).message}; with the key alone: ${(keyOnly as Error).message}`,
        );
      }
      this.withToken = !this.withToken;
      this.log(
        'info',
        `performance counters are sent ${this.withToken ? "with the node identity's token" : 'with the instrumentation key alone'}`,
      );
    }
  }

  /** The identity's token for ingestion, kept until 5 minutes before it expires. */
  private async bearerToken(): Promise<string> {
    if (!this.token || this.token.expiresOnTimestamp - Date.now() < 5 * 60_000) {
      const token = await this.credential!.getToken(ingestionScope);
      if (!token) throw new Error('the managed identity got no token for Application Insights');
      this.token = token;
    }
    return this.token.token;
  }

  private async post(body: Buffer, withToken: boolean): Promise<void> {
    const headers: Record<string, string | number> = {
      'content-type': 'application/json',
      'content-length': body.length,
    };
    if (withToken) headers.authorization = `Bearer ${await this.bearerToken()}`;
    return new Promise((resolve, reject) => {
      const request = https.request(
        new URL('v2.1/track', this.settings.ingestionEndpoint),
        {
          method: 'POST',
          agent: this.agent,
          headers,
          timeout: 30_000,
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => {
            const status = response.statusCode ?? 0;
            if (status >= 200 && status < 300) resolve();
            else
              reject(
                new Error(
                  `ingestion answered ${status}: ${Buffer.concat(chunks).toString('utf8').slice(0, 300)}`,
                ),
              );
          });
        },
      );
      request.on('timeout', () => request.destroy(new Error('ingestion did not answer in 30 s')));
      request.on('error', reject);
      request.end(body);
    });
  }
}
