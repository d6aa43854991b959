// The Cosmos DB emulator's queries in time linear in a container's size. Its query compiler (@zeit/cosmosdb-query
// 0.7, under @vercel/cosmosdb-server) builds a query's rows with `coll.reduce(($, c) => [...$, { c }], [])`: a copy
// of the growing array per document, so every query costs O(n²) in the container's documents (a scheduling pass's
// query over 5,000 jobs: 14 ms; over 20,000: 1.5 s, and a pass makes a few). The rewrite appends in place instead,
// `($.push({ c }), $)`, which builds the same array (the accumulator is the reduce's own fresh `[]`).
import { createRequire } from 'module';

interface ExecutorOptions {
  code: string;
  [key: string]: unknown;
}
type Executor = (collection: unknown[], options: ExecutorOptions) => unknown;

const appendBySpread = '[...$, ';

/** Where the string literal opened at `open` ends (the index of its closing quote), or -1. */
function stringEnd(code: string, open: number): number {
  const quote = code[open];
  for (let i = open + 1; i < code.length; i++) {
    if (code[i] === '\\') i++;
    else if (code[i] === quote) return i;
  }
  return -1;
}

/**
 * The index of the `]` closing the array opened at `open` (code[open] === '['), and how many commas separate its
 * elements (at its own level); undefined when the brackets do not match.
 */
function arrayEnd(code: string, open: number): { end: number; commas: number } | undefined {
  let depth = 0;
  let commas = 0;
  for (let i = open; i < code.length; i++) {
    const ch = code[i]!;
    if (ch === '"' || ch === "'" || ch === '`') {
      i = stringEnd(code, i);
      if (i < 0) return undefined;
    } else if ('[({'.includes(ch)) depth++;
    else if (')}]'.includes(ch)) {
      depth--;
      if (depth === 0) return ch === ']' ? { end: i, commas } : undefined;
    } else if (ch === ',' && depth === 1) commas++;
  }
  return undefined;
}

/**
 * The compiled query's code with each `[...$, X]` (a reduce appending one row, or the rows of a JOIN, to its
 * accumulator `$`) turned into `($.push(X), $)`, or `(X.forEach(...), $)` for spread rows; anything else, string
 * literals included, is left as it is.
 */
export function linearAppends(code: string): string {
  let out = '';
  let i = 0;
  while (i < code.length) {
    const ch = code[i]!;
    if (ch === '"' || ch === "'" || ch === '`') {
      const end = stringEnd(code, i);
      if (end < 0) return code;
      out += code.slice(i, end + 1);
      i = end + 1;
      continue;
    }
    if (code.startsWith(appendBySpread, i)) {
      const array = arrayEnd(code, i);
      // `[...$, X]` has one comma at its top level: the one after `...$`.
      if (array && array.commas === 1) {
        const item = linearAppends(code.slice(i + appendBySpread.length, array.end)).trim();
        out += item.startsWith('...')
          ? `((${item.slice(3)}).forEach(function (row) { $.push(row); }), $)`
          : `($.push(${item}), $)`;
        i = array.end + 1;
        continue;
      }
    }
    out += ch;
    i++;
  }
  return out;
}

let patched = false;

/**
 * Makes the query executor of the emulator in this process run the rewritten code (once; the rewrite of each query
 * text is kept, a few hundred at most). Call before the emulator serves.
 */
export function installLinearQueries(): void {
  if (patched) return;
  const fromServer = createRequire(require.resolve('@vercel/cosmosdb-server'));
  const executor = fromServer('@zeit/cosmosdb-query/lib/executor') as { default: Executor };
  const original = executor.default;
  const rewritten = new Map<string, string>();
  executor.default = (collection, options) => {
    let code = rewritten.get(options.code);
    if (code === undefined) {
      code = linearAppends(options.code);
      if (rewritten.size >= 500) rewritten.delete(rewritten.keys().next().value as string);
      rewritten.set(options.code, code);
    }
    return original(collection, { ...options, code });
  };
  patched = true;
}
