// HTTP trigger adapters for experiments/jobs (list, create, get, delete, terminate, output files, remote login).
import { app, type HttpRequest, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import {
  createJob,
  listJobRemoteLogins,
  listOutputFiles,
  terminateJob,
} from '../../shared/domain/services/jobService';
import type { ServiceDeps } from '../../shared/domain/services/serviceDeps';
import type { ResourceRef } from '../../shared/domain/resourceId';
import { ValidationError } from '../../shared/domain/errors';
import { acceptedResponse, apiEndpoint, integerQuery, jsonResponse, pageBody, pageQuery } from './apiRequest';
import { resourceItem, childList } from './resourceEndpoints';
import { experimentRoute, jobRoute, refFromRoute } from './routeRefs';
import { DurableJobLifecycle } from '../jobs/durableJobLifecycle';

const jobResource = resourceItem({
  kind: 'job',
  // A client's job: nothing else created it (the request is not createJob's options).
  create: (deps: ServiceDeps, ref: ResourceRef, body: unknown) => createJob(deps, ref, body),
});

/**
 * The services of a request that may queue or stop a job: its lifecycle is driven through this invocation's Durable
 * client, with the job-commands queue as the fallback (functions/jobs/durableJobLifecycle.ts).
 */
function withDurableLifecycle(deps: ServiceDeps, context: InvocationContext): ServiceDeps {
  return deps.lifecycle ? { ...deps, lifecycle: new DurableJobLifecycle(context, deps.lifecycle) } : deps;
}

export const jobItem = (deps: ServiceDeps, request: HttpRequest, context: InvocationContext) =>
  jobResource(withDurableLifecycle(deps, context), request, context);

export const jobList = childList('job', 'experiment');

export async function jobTerminate(deps: ServiceDeps, request: HttpRequest, context: InvocationContext) {
  const { operation } = await terminateJob(withDurableLifecycle(deps, context), refFromRoute(request, 'job'));
  return acceptedResponse(request, operation);
}

export async function jobOutputFiles(deps: ServiceDeps, request: HttpRequest) {
  const outputDirectoryId = request.query.get('outputdirectoryid');
  if (!outputDirectoryId) {
    throw new ValidationError(
      'outputdirectoryid',
      `The query parameter 'outputdirectoryid' is required (e.g. 'stdouterr').`,
      'MissingRequiredParameter',
    );
  }
  const page = pageQuery(request);
  const { files, continuationToken } = await listOutputFiles(deps, refFromRoute(request, 'job'), {
    outputDirectoryId,
    directory: request.query.get('directory') || '.',
    linkExpiryInMinutes: integerQuery(request, 'linkexpiryinminutes', 5, 600, 60),
    maxResults: page.maxItems,
    continuationToken: page.continuationToken,
  });
  return jsonResponse(200, pageBody(request, files, continuationToken));
}

export async function jobRemoteLogins(deps: ServiceDeps, request: HttpRequest) {
  return jsonResponse(200, { value: await listJobRemoteLogins(deps, refFromRoute(request, 'job')) });
}

app.http('jobsList', {
  route: `${experimentRoute}/jobs`,
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: apiEndpoint(jobList),
});
app.http('jobs', {
  route: jobRoute,
  methods: ['GET', 'PUT', 'DELETE'],
  authLevel: 'anonymous',
  extraInputs: [df.input.durableClient()],
  handler: apiEndpoint(jobItem),
});
app.http('jobTerminate', {
  route: `${jobRoute}/terminate`,
  methods: ['POST'],
  authLevel: 'anonymous',
  extraInputs: [df.input.durableClient()],
  handler: apiEndpoint(jobTerminate),
});
app.http('jobListOutputFiles', {
  route: `${jobRoute}/listOutputFiles`,
  methods: ['POST'],
  authLevel: 'anonymous',
  handler: apiEndpoint(jobOutputFiles),
});
app.http('jobRemoteLoginInformation', {
  route: `${jobRoute}/listRemoteLoginInformation`,
  methods: ['POST'],
  authLevel: 'anonymous',
  handler: apiEndpoint(jobRemoteLogins),
});
