// A local fake of the Azure Instance Metadata Service for node agents: the scheduled events document (GET), its
// acknowledgement (POST StartRequests), the compute name, and managed identity tokens (GET
// /metadata/identity/oauth2/token) for configured client ids. Tests (and local runs) schedule Preempt/Terminate.
import { randomUUID } from 'crypto';
import * as http from 'http';
import type { AddressInfo } from 'net';

export interface FakeScheduledEvent {
  EventId: string;
  EventType: 'Preempt' | 'Terminate' | 'Reboot' | 'Redeploy' | 'Freeze';
  ResourceType: 'VirtualMachine';
  Resources: string[];
  EventStatus: 'Scheduled' | 'Started';
  NotBefore: string;
  Description: string;
  EventSource: 'Platform' | 'User';
  DurationInSeconds: number;
}

export interface ImdsFake {
  baseUrl: string;
  /** Schedules an event for the given VM (node) names; returns its id. Spot evictions give 30 s of notice. */
  schedule(type: FakeScheduledEvent['EventType'], resources: string[], noticeMs?: number): string;
  /** Event ids acknowledged by POST so far. */
  acknowledged(): string[];
  /** How many scheduled-events GETs were served (tests wait for a poll). */
  polls(): number;
  stop(): Promise<void>;
}

export interface ImdsFakeOptions {
  computeName?: string;
  /** The VM's own id (compute `vmId`); default a fixed GUID. */
  vmId?: string;
  /** Managed identity client id -> the access token IMDS hands out for it (any resource). */
  identityTokens?: Record<string, string>;
}

export async function startImdsFake(options: ImdsFakeOptions = {}): Promise<ImdsFake> {
  let incarnation = 1;
  const events: FakeScheduledEvent[] = [];
  const acked: string[] = [];
  let pollCount = 0;
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://imds');
    // As IMDS does, a trailing '/' names the same endpoint (MSAL's managed identity client sends one).
    if (url.pathname.length > 1) url.pathname = url.pathname.replace(/\/+$/, '');
    const answer = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.headers.metadata !== 'true') {
      answer(400, { error: 'Bad request. Required metadata header not specified' });
      return;
    }
    if (!url.searchParams.get('api-version')) {
      answer(400, { error: 'Bad request. api-version was not specified in the request' });
      return;
    }
    if (url.pathname === '/metadata/identity/oauth2/token' && req.method === 'GET') {
      const clientId = url.searchParams.get('client_id') ?? '';
      const token = options.identityTokens?.[clientId];
      if (!token || !url.searchParams.get('resource')) {
        answer(400, { error: 'invalid_request', error_description: 'Identity not found' });
        return;
      }
      const expiresOn = Math.floor(Date.now() / 1000) + 3600;
      answer(200, {
        access_token: token,
        expires_on: String(expiresOn),
        expires_in: '3600',
        resource: url.searchParams.get('resource'),
        token_type: 'Bearer',
        client_id: clientId,
      });
      return;
    }
    if (url.pathname === '/metadata/instance/compute' && req.method === 'GET') {
      answer(200, {
        name: options.computeName ?? 'local-vm',
        vmId: options.vmId ?? '6f3c1c2a-0d6e-4f1e-9a53-0b7d1f6c2e01',
        vmSize: 'Standard_D2_v3',
        location: 'local',
      });
      return;
    }
    if (url.pathname !== '/metadata/scheduledevents') {
      answer(404, { error: 'Not found' });
      return;
    }
    if (req.method === 'GET') {
      pollCount++;
      answer(200, { DocumentIncarnation: incarnation, Events: events });
      return;
    }
    if (req.method === 'POST') {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        try {
          const parsed = JSON.parse(body) as { StartRequests?: { EventId?: unknown }[] };
          if (!Array.isArray(parsed.StartRequests)) throw new Error('StartRequests missing');
          for (const request of parsed.StartRequests) {
            const index = events.findIndex((e) => e.EventId === request.EventId);
            if (index < 0) continue;
            acked.push(events[index].EventId);
            events.splice(index, 1); // Azure starts the event; it leaves the document.
            incarnation++;
          }
          answer(200, {});
        } catch {
          answer(400, { error: 'Bad request. StartRequests expected' });
        }
      });
      return;
    }
    answer(405, { error: 'Method not allowed' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    schedule(type, resources, noticeMs = 30_000) {
      const id = randomUUID().toUpperCase();
      events.push({
        EventId: id,
        EventType: type,
        ResourceType: 'VirtualMachine',
        Resources: resources,
        EventStatus: 'Scheduled',
        NotBefore: new Date(Date.now() + noticeMs).toUTCString(),
        Description: type === 'Preempt' ? 'Spot VM eviction' : `${type} scheduled`,
        EventSource: 'Platform',
        DurationInSeconds: -1,
      });
      incarnation++;
      return id;
    },
    acknowledged: () => [...acked],
    polls: () => pollCount,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
