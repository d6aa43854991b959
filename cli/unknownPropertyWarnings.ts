// Before a create with a JSON file (-f): the file's properties the service does not know, which it would ignore (a
// misspelt `jobPreperation` is silently lost), each said on stderr with the closest known name. Read from the
// service's own OpenAPI document; a service that does not serve it gets no warning, and nothing is refused.
import { unknownPropertyMessages } from '../shared/client/unknownProperties';
import type { CommandContext } from './commandSpec';

export async function warnUnknownProperties(
  context: Pick<CommandContext, 'client' | 'io'>,
  definition: string,
  body: unknown,
  file: string,
): Promise<void> {
  let document: unknown;
  try {
    document = await context.client.getOpenApiDocument();
  } catch {
    return; // an older or other service: no warning
  }
  for (const message of unknownPropertyMessages(document, definition, body, file))
    context.io.stderr(`Warning: ${message}\n`);
}
