// The order of orchestration versions, as the Durable Task runtime compares them (host.json defaultVersion against
// an instance's version; runtime/durable/orchestrationVersion.ts). Pure: orchestrators may use it to branch on
// `context.df.version` (docs/durable-engine.md, "Changing an orchestrator").

/** .NET's System.Version.TryParse: 2 to 4 dot-separated non-negative 32-bit integers. */
function dotnetVersion(text: string): number[] | undefined {
  const parts = text.trim().split('.');
  if (parts.length < 2 || parts.length > 4) return undefined;
  const numbers = parts.map((p) => (/^\d+$/.test(p.trim()) ? Number(p.trim()) : NaN));
  return numbers.every((n) => Number.isInteger(n) && n <= 2_147_483_647) ? numbers : undefined;
}

/**
 * The runtime's comparison: empty versions are equal and older than any other; two versions that parse as .NET
 * `System.Version` compare by component (a missing component is older than any, as `1.0` < `1.0.0`); otherwise
 * case-insensitive ordinal comparison. Negative when `a` is older than `b`.
 */
export function compareVersions(a: string | undefined, b: string | undefined): number {
  const emptyA = !a;
  const emptyB = !b;
  if (emptyA || emptyB) return emptyA === emptyB ? 0 : emptyA ? -1 : 1;
  const va = dotnetVersion(a);
  const vb = dotnetVersion(b);
  if (va && vb) {
    for (let i = 0; i < Math.max(va.length, vb.length); i++) {
      const x = va[i] ?? -1;
      const y = vb[i] ?? -1;
      if (x !== y) return x < y ? -1 : 1;
    }
    return 0;
  }
  const la = a.toUpperCase();
  const lb = b.toUpperCase();
  return la === lb ? 0 : la < lb ? -1 : 1;
}
