// One line for an Azure SDK error (or any error) in a log line or a refusal: its code and HTTP status, then the first
// line of its message (SDK messages can run to pages of XML or JSON).

export function describeError(error: unknown, maxLength = 200): string {
  const { code, statusCode, message } = (error ?? {}) as {
    code?: string;
    statusCode?: number;
    message?: string;
  };
  const what = [code, statusCode].filter((part) => part !== undefined).join(' ');
  const text = (message ?? String(error)).split('\n')[0]!.slice(0, maxLength);
  return what ? `${what}: ${text}` : text;
}
