// The CLI's I/O for in-process tests: stdout and stderr collected, and a scripted service (each request takes the
// next reply, a JSON body or text, with its status and headers); the requests made are listed.
import type { CommandIo } from '../../../cli/commandSpec';

export interface ScriptedReply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export function scriptedIo(replies: ScriptedReply[], env: Record<string, string> = {}, cwd = __dirname) {
  const out: string[] = [];
  const err: string[] = [];
  const urls: string[] = [];
  const commandIo: CommandIo = {
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    env,
    cwd,
    sleep: async () => undefined,
    fetch: async (url, init) => {
      urls.push(`${init?.method ?? 'GET'} ${url}`);
      const reply = replies.shift();
      if (!reply) throw new Error(`unexpected ${url}`);
      return replyResponse(reply);
    },
  };
  return { commandIo, out, err, urls };
}

/** The response a scripted reply stands for: its body as JSON (text as it is), status and headers. */
export function replyResponse(reply: ScriptedReply): Response {
  const body =
    reply.body === undefined
      ? null
      : typeof reply.body === 'string'
        ? reply.body
        : JSON.stringify(reply.body);
  return new Response(body, { status: reply.status, headers: reply.headers });
}
