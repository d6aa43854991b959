// The one error type of the client: an HTTP failure answered with an ARM CloudError body, a failed long-running
// operation, or an endpoint that could not be reached; callers read `code`, `message` and `target`.
import type { CloudErrorBody } from './batchAiTypes';

export class BatchAiRestError extends Error {
  /** HTTP status of the failing response; undefined when no response arrived (connection refused, timeout). */
  readonly statusCode: number | undefined;
  readonly code: string;
  readonly target: string | undefined;
  readonly details: CloudErrorBody[];
  /** The server's x-ms-request-id, for support requests. */
  readonly requestId: string | undefined;

  constructor(options: {
    statusCode?: number;
    code: string;
    message: string;
    target?: string;
    details?: CloudErrorBody[];
    requestId?: string;
  }) {
    super(options.message);
    this.name = 'BatchAiRestError';
    this.statusCode = options.statusCode;
    this.code = options.code;
    this.target = options.target;
    this.details = options.details ?? [];
    this.requestId = options.requestId;
  }

  /** `code: message (target)`, the line the CLI prints. */
  describe(): string {
    return `${this.code}: ${this.message}${this.target ? ` (${this.target})` : ''}`;
  }

  /** Builds the error from a non-2xx response's text: a CloudError when it is one, the raw text otherwise. */
  static fromResponse(statusCode: number, text: string, requestId: string | undefined): BatchAiRestError {
    const body = parseCloudError(text);
    if (body) {
      return new BatchAiRestError({
        statusCode,
        code: body.code ?? `Http${statusCode}`,
        message: body.message ?? `The server answered ${statusCode}.`,
        target: body.target,
        details: body.details,
        requestId,
      });
    }
    const snippet = text.trim().slice(0, 500);
    return new BatchAiRestError({
      statusCode,
      code: `Http${statusCode}`,
      message: snippet
        ? `The server answered ${statusCode}: ${snippet}`
        : `The server answered ${statusCode}.`,
      requestId,
    });
  }
}

function parseCloudError(text: string): CloudErrorBody | undefined {
  if (!text) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object' && 'error' in parsed) {
      const error = (parsed as { error: unknown }).error;
      if (error && typeof error === 'object') return error as CloudErrorBody;
    }
  } catch {
    // Not JSON (a proxy's HTML page, say): the caller reports the raw text instead.
  }
  return undefined;
}
