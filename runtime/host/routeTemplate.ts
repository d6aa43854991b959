// Matches request paths against Functions HTTP route templates (ASP.NET Core syntax): literals, `{id}`, optional
// `{id?}`, defaults `{id=1}`, catch-all `{*path}` and inline constraints such as `{id:int}` or `{name:alpha}`.

type Constraint = (value: string) => boolean;

interface LiteralSegment {
  kind: 'literal';
  text: string;
}

interface ParameterSegment {
  kind: 'parameter';
  name: string;
  optional: boolean;
  catchAll: boolean;
  defaultValue?: string;
  constraints: Constraint[];
}

type Segment = LiteralSegment | ParameterSegment;

export interface RouteTemplate {
  template: string;
  segments: Segment[];
  /** Literal segments first rank higher, like ASP.NET's route precedence (used to order ambiguous matches). */
  precedence: number;
}

const numberPattern = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Whether `n` fits a signed integer of `bits` + 1 bits (two's complement). */
function inRange(n: bigint, bits: number): boolean {
  const limit = 1n << BigInt(bits);
  return n >= -limit && n < limit;
}

function constraintFrom(spec: string, template: string): Constraint {
  const m = /^([a-zA-Z]+)(?:\((.*)\))?$/.exec(spec);
  if (!m) throw new Error(`Route "${template}": invalid constraint "${spec}".`);
  const [, name, arg] = m;
  const args = arg === undefined ? [] : arg.split(',').map((a) => a.trim());
  const num = (i: number): number => {
    const n = Number(args[i]);
    if (args[i] === undefined || Number.isNaN(n))
      throw new Error(`Route "${template}": constraint "${spec}" needs a number.`);
    return n;
  };
  switch (name.toLowerCase()) {
    // Int32 / Int64 as ASP.NET Core's constraints parse them: -2^31..2^31-1, -2^63..2^63-1.
    case 'int':
      return (v) => /^[+-]?\d+$/.test(v) && inRange(BigInt(v), 31);
    case 'long':
      return (v) => /^[+-]?\d+$/.test(v) && inRange(BigInt(v), 63);
    case 'bool':
      return (v) => /^(true|false)$/i.test(v);
    case 'guid':
      return (v) => /^\{?[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}\}?$/i.test(v);
    case 'alpha':
      return (v) => /^[a-z]+$/i.test(v);
    case 'double':
    case 'float':
    case 'decimal':
      return (v) => numberPattern.test(v);
    case 'datetime':
      return (v) => !Number.isNaN(Date.parse(v));
    case 'min': {
      const min = num(0);
      return (v) => /^[+-]?\d+$/.test(v) && Number(v) >= min;
    }
    case 'max': {
      const max = num(0);
      return (v) => /^[+-]?\d+$/.test(v) && Number(v) <= max;
    }
    case 'range': {
      const [lo, hi] = [num(0), num(1)];
      return (v) => /^[+-]?\d+$/.test(v) && Number(v) >= lo && Number(v) <= hi;
    }
    case 'minlength': {
      const n = num(0);
      return (v) => v.length >= n;
    }
    case 'maxlength': {
      const n = num(0);
      return (v) => v.length <= n;
    }
    case 'length': {
      const [a, b] = [num(0), args.length > 1 ? num(1) : num(0)];
      return (v) => v.length >= a && v.length <= b;
    }
    case 'regex': {
      const re = new RegExp(arg ?? '', 'i');
      return (v) => re.test(v);
    }
    default:
      throw new Error(`Route "${template}": unknown constraint "${name}".`);
  }
}

/** Parses a route template; throws with the template in the message when it is malformed. */
export function parseRouteTemplate(template: string): RouteTemplate {
  const trimmed = template.replace(/^\/+|\/+$/g, '');
  const parts = trimmed === '' ? [] : trimmed.split('/');
  const segments: Segment[] = [];
  let precedence = 0;
  parts.forEach((part, index) => {
    const m = /^\{(\*{1,2})?([A-Za-z_][\w]*)((?::[^:=?}]+(?:\([^)]*\))?)*)?(\?)?(?:=([^}]*))?\}$/.exec(part);
    if (m) {
      const [, star, name, constraintText, optionalMark, defaultValue] = m;
      const constraints = (constraintText ?? '')
        .split(':')
        .filter((c) => c.length > 0)
        .map((c) => constraintFrom(c, template));
      const catchAll = Boolean(star);
      if (catchAll && index !== parts.length - 1) {
        throw new Error(`Route "${template}": a catch-all parameter must be the last segment.`);
      }
      segments.push({
        kind: 'parameter',
        name,
        optional: Boolean(optionalMark) || catchAll,
        catchAll,
        defaultValue,
        constraints,
      });
      precedence = precedence * 3 + (catchAll ? 0 : 1);
    } else {
      if (/[{}]/.test(part))
        throw new Error(`Route "${template}": segment "${part}" mixes text and parameters (not supported).`);
      if (part === '') throw new Error(`Route "${template}": empty segment.`);
      segments.push({ kind: 'literal', text: part.toLowerCase() });
      precedence = precedence * 3 + 2;
    }
  });
  // Optional parameters may only be followed by other optional parameters.
  let seenOptional = false;
  for (const s of segments) {
    const optional = s.kind === 'parameter' && (s.optional || s.defaultValue !== undefined);
    if (seenOptional && !optional) {
      throw new Error(`Route "${template}": an optional parameter must be at the end of the route.`);
    }
    seenOptional = seenOptional || optional;
  }
  return { template: trimmed, segments, precedence };
}

/** Route parameters when `path` (without the route prefix, no query) matches, else undefined. */
export function matchRoute(route: RouteTemplate, path: string): Record<string, string> | undefined {
  const trimmed = path.replace(/^\/+|\/+$/g, '');
  const parts = trimmed === '' ? [] : trimmed.split('/');
  const params: Record<string, string> = {};
  for (let i = 0; i < route.segments.length; i++) {
    const seg = route.segments[i];
    const part = parts[i];
    if (seg.kind === 'literal') {
      if (part === undefined || safeDecode(part).toLowerCase() !== seg.text) return undefined;
      continue;
    }
    if (seg.catchAll) {
      const rest = parts.slice(i).map(safeDecode).join('/');
      if (rest !== '') {
        if (!seg.constraints.every((c) => c(rest))) return undefined;
        params[seg.name] = rest;
      } else if (seg.defaultValue !== undefined) {
        params[seg.name] = seg.defaultValue;
      }
      return params;
    }
    if (part === undefined || part === '') {
      if (seg.defaultValue !== undefined) params[seg.name] = seg.defaultValue;
      else if (!seg.optional) return undefined;
      continue;
    }
    const value = safeDecode(part);
    if (!seg.constraints.every((c) => c(value))) return undefined;
    params[seg.name] = value;
  }
  return parts.length > route.segments.length ? undefined : params;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
