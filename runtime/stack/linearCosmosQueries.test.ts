// The emulator's compiled queries rewritten to append rows in place: the same results as the library's own code for
// every query shape this repository uses (projections, IN, IS_DEFINED, ORDER BY, TOP, VALUE COUNT, JOIN, string
// literals that look like code), and no `[...$, ` left (the quadratic copy).
import { createRequire } from 'module';
import { linearAppends, installLinearQueries } from './linearCosmosQueries';

const fromServer = createRequire(require.resolve('@vercel/cosmosdb-server'));
const compile = (fromServer('@zeit/cosmosdb-query') as { default: (sql: string) => { code: string } })
  .default;
const executor = fromServer('@zeit/cosmosdb-query/lib/executor') as {
  default: (collection: unknown[], options: Record<string, unknown>) => unknown;
};
const original = executor.default;

const docs = Array.from({ length: 60 }, (_, i) => ({
  id: `j${i}`,
  _rid: `r${String(i).padStart(4, '0')}`,
  kind: i % 7 === 0 ? 'cluster' : 'job',
  clusterKey: i % 3 === 0 ? 'k2' : 'k1',
  executionState: ['queued', 'running', 'succeeded', 'terminating'][i % 4],
  ...(i % 5 === 0 ? {} : { queueOrder: String(1000 - i).padStart(6, '0') }),
  principalIds: i % 4 === 0 ? [] : [`p${i % 3}`, `p${i % 5}`],
  note: i % 9 === 0 ? '[...$, x]' : 'plain',
  record: { ref: { name: `j${i}` }, job: { nodeCount: (i % 3) + 1 } },
}));

const queries: [string, Record<string, unknown>][] = [
  ['SELECT * FROM c', {}],
  [
    "SELECT c.record.ref AS ref, c.queueOrder AS queueOrder FROM c WHERE c.clusterKey = @cluster AND (c.executionState IN ('running', 'terminating') OR (c.executionState = 'queued' AND NOT IS_DEFINED(c.queueOrder)))",
    { '@cluster': 'k1' },
  ],
  [
    "SELECT TOP 5 c.id FROM c WHERE c.clusterKey = @cluster AND c.executionState = 'queued' AND c.record.job.nodeCount <= @max AND IS_DEFINED(c.queueOrder) ORDER BY c.queueOrder",
    { '@cluster': 'k1', '@max': 2 },
  ],
  ["SELECT VALUE COUNT(1) FROM c WHERE c.kind = 'job'", {}],
  ['SELECT c.id FROM c JOIN p IN c.principalIds WHERE ARRAY_CONTAINS(@ids, p)', { '@ids': ['p1', 'p2'] }],
  ['SELECT c.id, c.note FROM c WHERE c.note = \'[...$, x]\' OR c.note = "[...$, "', {}],
  ['SELECT * FROM c WHERE c.kind = @kind ORDER BY c.id DESC', { '@kind': 'job' }],
];

const parametersOf = (values: Record<string, unknown>) =>
  Object.entries(values).map(([name, value]) => ({ name, value }));

test.each(queries)('%s: the same rows, appended in place', (sql, values) => {
  const code = compile(sql).code;
  const linear = linearAppends(code);
  // No copy of the accumulator left (string literals of the query keep their text).
  expect(linear.replace(/"(?:[^"\\]|\\.)*"/g, '""')).not.toContain('[...$, ');
  const options = { parameters: parametersOf(values), maxItemCount: 1000 };
  expect(original(docs, { ...options, code: linear })).toEqual(original(docs, { ...options, code }));
});

test('code with nothing to rewrite, or brackets it cannot match, is left as it is', () => {
  expect(linearAppends('($a) => $a.x')).toBe('($a) => $a.x');
  expect(linearAppends('[...$, {')).toBe('[...$, {');
  expect(linearAppends('"[...$, 1]"')).toBe('"[...$, 1]"');
  expect(linearAppends('[...$, a, b]')).toBe('[...$, a, b]'); // two items: not the compiler's shape
});

test("the emulator's executor runs the rewritten code once patched", () => {
  installLinearQueries();
  expect(executor.default).not.toBe(original);
  const seen: string[] = [];
  const patched = executor.default;
  const sql = "SELECT c.id FROM c WHERE c.executionState = 'queued'";
  const code = compile(sql).code;
  expect(code).toContain('[...$, ');
  const result = patched(docs, { code, parameters: [], maxItemCount: 1000 }) as { result: unknown[] };
  seen.push(...(result.result as { id: string }[]).map((row) => row.id));
  expect(seen).toEqual(docs.filter((d) => d.executionState === 'queued').map((d) => d.id));
  installLinearQueries(); // once
  expect(executor.default).toBe(patched);
});
