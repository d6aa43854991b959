// The Durable client of an invocation, built once per client binding data (task hub and management URLs) rather
// than per call: durable-functions' getClient validates every URL and creates an axios instance each time, which
// cost about 1 ms per job. The client keeps no per-call state, so invocations share it.
import * as df from 'durable-functions';
import type { InvocationContext } from '@azure/functions';

type DurableClient = ReturnType<typeof df.getClient>;

const clients = new Map<string, DurableClient>();
/** Distinct binding data seen by one process: one per task hub and host address in practice. */
const maxClients = 16;

export function durableClientOf(context: InvocationContext): DurableClient {
  const binding = context.options.extraInputs.find(
    (input) => input.type === 'durableClient' || input.type === 'orchestrationClient',
  );
  const data = binding ? context.extraInputs.get(binding) : undefined;
  const key = data === undefined ? undefined : JSON.stringify(data);
  const known = key === undefined ? undefined : clients.get(key);
  if (known) return known;
  const client = df.getClient(context); // throws the library's own error when the binding is missing
  if (key !== undefined) {
    if (clients.size >= maxClients) clients.clear();
    clients.set(key, client);
  }
  return client;
}
