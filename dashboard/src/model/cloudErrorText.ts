// Turns a failed API response into what the user reads: the ARM CloudError's code, message and target (and its
// details), or the HTTP status when the body is not a CloudError.

export interface ApiErrorInfo {
  status: number;
  code: string;
  message: string;
  target?: string;
  details: { code: string; message: string; target?: string }[];
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export function parseCloudError(status: number, statusText: string, body: unknown): ApiErrorInfo {
  const error = (body as { error?: unknown } | null | undefined)?.error;
  if (error && typeof error === 'object') {
    const e = error as Record<string, unknown>;
    const details = Array.isArray(e.details)
      ? e.details
          .filter((d): d is Record<string, unknown> => !!d && typeof d === 'object')
          .map((d) => ({
            code: text(d.code) ?? 'Error',
            message: text(d.message) ?? '',
            target: text(d.target),
          }))
      : [];
    return {
      status,
      code: text(e.code) ?? `Http${status}`,
      message: text(e.message) ?? statusText,
      target: text(e.target),
      details,
    };
  }
  return {
    status,
    code: `Http${status}`,
    message: `The server answered ${status}${statusText ? ` ${statusText}` : ''}.`,
    details: [],
  };
}

/** One line: "Code: message (target: x)". */
export function describeApiError(info: ApiErrorInfo): string {
  const target = info.target ? ` (target: ${info.target})` : '';
  return `${info.code}: ${info.message}${target}`;
}
