// The HTTP status of a failed @azure/cosmos call (its errors carry it as `code`, a number or a numeric string),
// so stores can tell "not found" (404), "exists" (409) and "stale ETag" (412) from real failures.
export function cosmosStatusOf(error: unknown): number | undefined {
  if (error && typeof error === 'object' && 'code' in error) {
    const code = (error as { code: unknown }).code;
    return typeof code === 'number' ? code : Number(code);
  }
  return undefined;
}
