// HTTP trigger adapters of the sweeps extension under an experiment (ARM style, api-version 2018-05-01):
// PUT/GET/DELETE .../experiments/{exp}/sweeps/{name}, GET .../sweeps (list), POST .../sweeps/{name}/cancel.
import { app, type HttpRequest, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { createCosmosClient } from '../../shared/adapters/cosmos/cosmosClientFactory';
import { CosmosSweepStore } from '../../shared/adapters/cosmos/cosmosSweepStore';
import { readAppConfig } from '../../shared/config/appConfig';
import type { ServiceDeps } from '../../shared/domain/services/serviceDeps';
import {
  cancelSweep,
  createSweep,
  deleteSweep,
  getSweep,
  listSweeps,
  type SweepServiceDeps,
} from '../../shared/domain/sweeps/sweepService';
import type { SweepAddress, SweepStore } from '../../shared/domain/sweeps/sweepStore';
import { sweepToWire } from '../../shared/domain/sweeps/sweepView';
import { apiEndpoint, jsonResponse, pageBody, pageQuery, readJsonBody } from '../api/apiRequest';
import { experimentRoute } from '../api/routeRefs';
import { DurableSweepRunner } from './durableSweepRunner';
import { readSweepSettings } from './sweepSettings';
import { durableClientOf } from '../../orchestrations/durableClientOf';

export const sweepRoute = `${experimentRoute}/sweeps/{sweepName}`;

let store: SweepStore | undefined;

function sweepDeps(services: ServiceDeps, context: InvocationContext): SweepServiceDeps {
  if (!store) {
    const config = readAppConfig(process.env);
    store = new CosmosSweepStore(createCosmosClient(config.cosmos), config.cosmos.database);
  }
  return {
    services,
    sweeps: store,
    runner: new DurableSweepRunner(durableClientOf(context), readSweepSettings(process.env), services),
  };
}

function experimentOf(request: HttpRequest): Omit<SweepAddress, 'name'> {
  const p = request.params;
  return {
    subscriptionId: p.subscriptionId ?? '',
    resourceGroup: p.resourceGroupName ?? '',
    workspace: p.workspaceName ?? '',
    experiment: p.experimentName ?? '',
  };
}

function addressOf(request: HttpRequest): SweepAddress {
  return { ...experimentOf(request), name: request.params.sweepName ?? '' };
}

export async function sweepItem(services: ServiceDeps, request: HttpRequest, context: InvocationContext) {
  const deps = sweepDeps(services, context);
  const address = addressOf(request);
  switch (request.method) {
    case 'PUT': {
      const { created, stored } = await createSweep(deps, address, await readJsonBody(request));
      return jsonResponse(created ? 201 : 200, sweepToWire(stored.record), stored.etag);
    }
    case 'DELETE': {
      const outcome = await deleteSweep(deps, address);
      return { status: outcome === 'deleted' ? 200 : outcome === 'deleting' ? 202 : 204 };
    }
    default: {
      const stored = await getSweep(deps, address);
      return jsonResponse(200, sweepToWire(stored.record), stored.etag);
    }
  }
}

export async function sweepList(services: ServiceDeps, request: HttpRequest, context: InvocationContext) {
  const page = await listSweeps(sweepDeps(services, context), experimentOf(request), pageQuery(request));
  return jsonResponse(
    200,
    pageBody(
      request,
      page.items.map((item) => sweepToWire(item.record)),
      page.continuationToken,
    ),
  );
}

export async function sweepCancel(services: ServiceDeps, request: HttpRequest, context: InvocationContext) {
  const stored = await cancelSweep(sweepDeps(services, context), addressOf(request));
  return jsonResponse(200, sweepToWire(stored.record), stored.etag);
}

app.http('sweepsList', {
  route: `${experimentRoute}/sweeps`,
  methods: ['GET'],
  authLevel: 'anonymous',
  extraInputs: [df.input.durableClient()],
  handler: apiEndpoint(sweepList),
});
app.http('sweeps', {
  route: sweepRoute,
  methods: ['GET', 'PUT', 'DELETE'],
  authLevel: 'anonymous',
  extraInputs: [df.input.durableClient()],
  handler: apiEndpoint(sweepItem),
});
app.http('sweepCancel', {
  route: `${sweepRoute}/cancel`,
  methods: ['POST'],
  authLevel: 'anonymous',
  extraInputs: [df.input.durableClient()],
  handler: apiEndpoint(sweepCancel),
});
