// Query plan requests, answered as the Azure gateway answers them. The @azure/cosmos SDK sends one beside every
// item query (`POST .../docs`, `x-ms-cosmos-is-query-plan-request: True`, content type application/query+json)
// and reads it only if the query itself is refused as needing one (or with `forceQueryPlan`). @vercel/cosmosdb-server
// routes it by its content type as a query: it ran every query twice and sent the whole result back twice, which
// the client then parsed and dropped (the scheduler's passes, every list of jobs).
import type { IncomingMessage } from 'http';

/** Whether `req` asks for a query plan rather than for the query's results. */
export function isQueryPlanRequest(req: IncomingMessage): boolean {
  return (
    req.method === 'POST' && String(req.headers['x-ms-cosmos-is-query-plan-request']).toLowerCase() === 'true'
  );
}

/**
 * The plan of any query on this emulator: one partition key range (the whole hash space) and nothing for the client
 * to do after the gateway (no ORDER BY merge, TOP, OFFSET, aggregate, DISTINCT or GROUP BY across ranges): the
 * emulator has a single range and evaluates the whole query there, so the results of the one range are the query's.
 * The shape is the gateway's (`partitionedQueryExecutionInfoVersion` 2); a client that runs a query by its plan gets
 * the same results as one that sends the query directly. The query is not parsed here: its own request reports its
 * errors.
 */
export const singleRangeQueryPlan = {
  partitionedQueryExecutionInfoVersion: 2,
  queryInfo: {
    distinctType: 'None',
    top: null,
    offset: null,
    limit: null,
    orderBy: [],
    orderByExpressions: [],
    groupByExpressions: [],
    groupByAliases: [],
    aggregates: [],
    groupByAliasToAggregateType: {},
    rewrittenQuery: '',
    hasSelectValue: false,
    dCountInfo: null,
    hasNonStreamingOrderBy: false,
  },
  queryRanges: [{ min: '', max: 'FF', isMinInclusive: true, isMaxInclusive: false }],
};
