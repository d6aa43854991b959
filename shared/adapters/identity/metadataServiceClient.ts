// Client of the Azure Instance Metadata Service (IMDS) as a node agent uses it: the VM's name, the scheduled
// events document and their acknowledgement, managed identity tokens. The base URL is configurable (a local fake in tests and on one machine).

export interface ScheduledEvent {
  EventId: string;
  EventType: string;
  ResourceType?: string;
  Resources: string[];
  EventStatus?: string;
  NotBefore?: string;
  Description?: string;
  EventSource?: string;
  DurationInSeconds?: number;
}

export interface ScheduledEventsDocument {
  DocumentIncarnation: number;
  Events: ScheduledEvent[];
}

const scheduledEventsApi = 'api-version=2020-07-01';
const instanceApi = 'api-version=2021-02-01';

function parseScheduledEvents(value: unknown): ScheduledEventsDocument {
  const doc = value as Partial<ScheduledEventsDocument> | null;
  if (!doc || typeof doc !== 'object' || !Array.isArray(doc.Events)) {
    throw new Error('The scheduled events document has no Events array.');
  }
  const events = doc.Events.filter(
    (e): e is ScheduledEvent =>
      !!e && typeof e.EventId === 'string' && typeof e.EventType === 'string' && Array.isArray(e.Resources),
  );
  return { DocumentIncarnation: Number(doc.DocumentIncarnation ?? 0), Events: events };
}

export class MetadataServiceClient {
  private readonly base: string;

  constructor(
    baseUrl: string,
    private readonly timeoutMs = 5_000,
  ) {
    this.base = baseUrl.replace(/\/+$/, '');
  }

  private async request(method: 'GET' | 'POST', path: string, body?: unknown): Promise<Response> {
    const response = await fetch(`${this.base}${path}`, {
      method,
      headers: { Metadata: 'true', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    if (!response.ok) throw new Error(`IMDS ${method} ${path} answered ${response.status}.`);
    return response;
  }

  async scheduledEvents(): Promise<ScheduledEventsDocument> {
    const response = await this.request('GET', `/metadata/scheduledevents?${scheduledEventsApi}`);
    return parseScheduledEvents(await response.json());
  }

  /** Tells Azure the node is ready for the events to proceed (as the scheduled events protocol expects). */
  async acknowledge(eventIds: string[]): Promise<void> {
    await this.request('POST', `/metadata/scheduledevents?${scheduledEventsApi}`, {
      StartRequests: eventIds.map((EventId) => ({ EventId })),
    });
  }

  /** An access token of the VM's user-assigned identity (`clientId`) for `resource` (e.g. https://vault.azure.net). */
  async identityToken(
    resource: string,
    clientId: string,
  ): Promise<{ token: string; expiresOnTimestamp: number }> {
    const query = new URLSearchParams({ 'api-version': '2018-02-01', resource, client_id: clientId });
    const response = await this.request('GET', `/metadata/identity/oauth2/token?${query.toString()}`);
    const body = (await response.json()) as { access_token?: unknown; expires_on?: unknown };
    if (typeof body.access_token !== 'string' || !body.access_token) {
      throw new Error('IMDS answered no access token for the managed identity.');
    }
    const expiresOn = Number(body.expires_on);
    return {
      token: body.access_token,
      expiresOnTimestamp: Number.isFinite(expiresOn) ? expiresOn * 1000 : Date.now() + 5 * 60_000,
    };
  }

  /** The VM's name (for a scale set VM, `<scaleSet>_<instanceId>`): a VM node's id. */
  async computeName(): Promise<string> {
    return (await this.computeIdentity()).name;
  }

  /** The VM's name and its own id (`vmId`, unique per VM: a scale set reuses the instance ids in names). */
  async computeIdentity(): Promise<{ name: string; vmId?: string }> {
    const response = await this.request('GET', `/metadata/instance/compute?${instanceApi}`);
    const body = (await response.json()) as { name?: unknown; vmId?: unknown };
    if (typeof body.name !== 'string' || !body.name) throw new Error('IMDS compute metadata has no name.');
    return typeof body.vmId === 'string' && body.vmId
      ? { name: body.name, vmId: body.vmId }
      : { name: body.name };
  }
}
