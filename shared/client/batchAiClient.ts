// Typed client of the Batch AI REST API 2018-05-01 served by this project (or any ARM-shaped endpoint): operation
// groups as the Azure SDK names them, paged lists as async iterables, long-running operations as pollers.
import type {
  Cluster,
  ClusterCreateParameters,
  ClusterUpdateParameters,
  Experiment,
  FileServer,
  FileServerCreateParameters,
  Job,
  JobCreateParameters,
  Operation,
  OutputFile,
  RemoteLoginInformation,
  Usage,
  Workspace,
  WorkspaceCreateParameters,
  WorkspaceUpdateParameters,
} from './batchAiTypes';
import type {
  JobSchedule,
  JobScheduleProperties,
  RoleAssignment,
  RoleAssignmentParameters,
  ScoringRule,
  ScoringRuleProperties,
  Sweep,
  SweepCreateParameters,
  SweepDeleteOutcome,
} from './extensionTypes';
import { OperationPoller } from './operationPoller';
import { pagedIterable, type PagedAsyncIterable } from './pagedIterable';
import { parseJson, RestPipeline, type BatchAiClientOptions, type RestResponse } from './restPipeline';

export type { BatchAiClientOptions } from './restPipeline';

export interface ListOptions {
  /** Page size asked of the server (maxresults, 1..1000); the iterator still walks every page. */
  maxResults?: number;
}

export interface ListOutputFilesOptions extends ListOptions {
  /** The `id` of one of the job's outputDirectories, or `stdouterr`. */
  outputDirectoryId: string;
  /** Path inside that directory. Default `.`. */
  directory?: string;
  /** Lifetime of the download links, 5..600 minutes. Default 60. */
  linkExpiryInMinutes?: number;
}

const segment = encodeURIComponent;

export class BatchAiClient {
  readonly workspaces: WorkspaceOperations;
  readonly experiments: ExperimentOperations;
  readonly clusters: ClusterOperations;
  readonly fileServers: FileServerOperations;
  readonly jobs: JobOperations;
  /** Extensions of Batch AI 2018-05-01 (see docs/api.md, Extensions). */
  readonly sweeps: SweepOperations;
  readonly scoringRules: WorkspaceChildOperations<ScoringRule, { properties: ScoringRuleProperties }>;
  readonly jobSchedules: WorkspaceChildOperations<JobSchedule, { properties: JobScheduleProperties }>;
  readonly roleAssignments: WorkspaceChildOperations<RoleAssignment, RoleAssignmentParameters>;
  private readonly pipeline: RestPipeline;

  constructor(options: BatchAiClientOptions) {
    this.pipeline = new RestPipeline(options);
    this.workspaces = new WorkspaceOperations(this.pipeline);
    this.experiments = new ExperimentOperations(this.pipeline);
    this.clusters = new ClusterOperations(this.pipeline);
    this.fileServers = new FileServerOperations(this.pipeline);
    this.jobs = new JobOperations(this.pipeline);
    this.sweeps = new SweepOperations(this.pipeline);
    this.scoringRules = new WorkspaceChildOperations(this.pipeline, 'scoringRules');
    this.jobSchedules = new WorkspaceChildOperations(this.pipeline, 'jobSchedules');
    this.roleAssignments = new WorkspaceChildOperations(this.pipeline, 'roleAssignments');
  }

  get subscriptionId(): string {
    return this.pipeline.subscriptionId;
  }

  /** The service's OpenAPI document (its wire contract, extensions included): `GET {endpoint}/openapi.json`. */
  getOpenApiDocument(): Promise<unknown> {
    return this.pipeline.json<unknown>('GET', '/openapi.json');
  }

  /** The operations this provider offers (Operations_List). */
  listOperations(): PagedAsyncIterable<Operation> {
    return pagedIterable(this.pipeline, 'GET', '/providers/Microsoft.BatchAI/operations');
  }

  /** Current usage and limits in a location (Usages_List). */
  listUsages(location: string): PagedAsyncIterable<Usage> {
    return pagedIterable(
      this.pipeline,
      'GET',
      `/subscriptions/${segment(this.pipeline.subscriptionId)}/providers/Microsoft.BatchAI/locations/${segment(location)}/usages`,
    );
  }
}

/** Shared path building and LRO plumbing of the operation groups. */
abstract class OperationGroup {
  constructor(protected readonly pipeline: RestPipeline) {}

  protected providerPath(resourceGroup: string): string {
    return `/subscriptions/${segment(this.pipeline.subscriptionId)}/resourceGroups/${segment(resourceGroup)}/providers/Microsoft.BatchAI`;
  }

  protected workspacePath(resourceGroup: string, workspace: string): string {
    return `${this.providerPath(resourceGroup)}/workspaces/${segment(workspace)}`;
  }

  protected listAt<T>(path: string, options: ListOptions = {}): PagedAsyncIterable<T> {
    return pagedIterable<T>(this.pipeline, 'GET', path, { query: { maxresults: options.maxResults } });
  }

  protected getAt<T>(path: string): Promise<T> {
    return this.pipeline.json<T>('GET', path);
  }

  /** PUT that may start an operation; the poller ends with the resource as a GET returns it. */
  protected async beginPut<T>(path: string, body: unknown): Promise<OperationPoller<T>> {
    const initial = await this.pipeline.send('PUT', path, { body });
    return new OperationPoller<T>(
      this.pipeline,
      initial,
      () => this.getAt<T>(path),
      (response) => parseJson<T>(response),
    );
  }

  /** DELETE or an action POST: the poller ends with nothing. */
  protected async beginAction(method: 'DELETE' | 'POST', path: string): Promise<OperationPoller<void>> {
    const initial = await this.pipeline.send(method, path);
    return new OperationPoller<void>(
      this.pipeline,
      initial,
      async () => undefined,
      (_response: RestResponse) => undefined,
    );
  }
}

export class WorkspaceOperations extends OperationGroup {
  /** Every workspace of the subscription (Workspaces_List). */
  list(options?: ListOptions): PagedAsyncIterable<Workspace> {
    return this.listAt(
      `/subscriptions/${segment(this.pipeline.subscriptionId)}/providers/Microsoft.BatchAI/workspaces`,
      options,
    );
  }

  listByResourceGroup(resourceGroup: string, options?: ListOptions): PagedAsyncIterable<Workspace> {
    return this.listAt(`${this.providerPath(resourceGroup)}/workspaces`, options);
  }

  get(resourceGroup: string, workspace: string): Promise<Workspace> {
    return this.getAt(this.workspacePath(resourceGroup, workspace));
  }

  beginCreate(
    resourceGroup: string,
    workspace: string,
    parameters: WorkspaceCreateParameters,
  ): Promise<OperationPoller<Workspace>> {
    return this.beginPut(this.workspacePath(resourceGroup, workspace), parameters);
  }

  async create(
    resourceGroup: string,
    workspace: string,
    parameters: WorkspaceCreateParameters,
  ): Promise<Workspace> {
    return (await this.beginCreate(resourceGroup, workspace, parameters)).pollUntilDone();
  }

  update(
    resourceGroup: string,
    workspace: string,
    parameters: WorkspaceUpdateParameters,
  ): Promise<Workspace> {
    return this.pipeline.json('PATCH', this.workspacePath(resourceGroup, workspace), { body: parameters });
  }

  /** Deletes the workspace and everything in it. */
  beginDelete(resourceGroup: string, workspace: string): Promise<OperationPoller<void>> {
    return this.beginAction('DELETE', this.workspacePath(resourceGroup, workspace));
  }
}

export class ExperimentOperations extends OperationGroup {
  private path(resourceGroup: string, workspace: string, experiment?: string): string {
    const base = `${this.workspacePath(resourceGroup, workspace)}/experiments`;
    return experiment === undefined ? base : `${base}/${segment(experiment)}`;
  }

  listByWorkspace(
    resourceGroup: string,
    workspace: string,
    options?: ListOptions,
  ): PagedAsyncIterable<Experiment> {
    return this.listAt(this.path(resourceGroup, workspace), options);
  }

  get(resourceGroup: string, workspace: string, experiment: string): Promise<Experiment> {
    return this.getAt(this.path(resourceGroup, workspace, experiment));
  }

  beginCreate(
    resourceGroup: string,
    workspace: string,
    experiment: string,
  ): Promise<OperationPoller<Experiment>> {
    return this.beginPut(this.path(resourceGroup, workspace, experiment), undefined);
  }

  async create(resourceGroup: string, workspace: string, experiment: string): Promise<Experiment> {
    return (await this.beginCreate(resourceGroup, workspace, experiment)).pollUntilDone();
  }

  /** Deletes the experiment and its jobs. */
  beginDelete(resourceGroup: string, workspace: string, experiment: string): Promise<OperationPoller<void>> {
    return this.beginAction('DELETE', this.path(resourceGroup, workspace, experiment));
  }
}

export class ClusterOperations extends OperationGroup {
  private path(resourceGroup: string, workspace: string, cluster?: string): string {
    const base = `${this.workspacePath(resourceGroup, workspace)}/clusters`;
    return cluster === undefined ? base : `${base}/${segment(cluster)}`;
  }

  listByWorkspace(
    resourceGroup: string,
    workspace: string,
    options?: ListOptions,
  ): PagedAsyncIterable<Cluster> {
    return this.listAt(this.path(resourceGroup, workspace), options);
  }

  get(resourceGroup: string, workspace: string, cluster: string): Promise<Cluster> {
    return this.getAt(this.path(resourceGroup, workspace, cluster));
  }

  beginCreate(
    resourceGroup: string,
    workspace: string,
    cluster: string,
    parameters: ClusterCreateParameters,
  ): Promise<OperationPoller<Cluster>> {
    return this.beginPut(this.path(resourceGroup, workspace, cluster), parameters);
  }

  async create(
    resourceGroup: string,
    workspace: string,
    cluster: string,
    parameters: ClusterCreateParameters,
  ): Promise<Cluster> {
    return (await this.beginCreate(resourceGroup, workspace, cluster, parameters)).pollUntilDone();
  }

  /** Changes the scale settings (resize, auto-scale). */
  update(
    resourceGroup: string,
    workspace: string,
    cluster: string,
    parameters: ClusterUpdateParameters,
  ): Promise<Cluster> {
    return this.pipeline.json('PATCH', this.path(resourceGroup, workspace, cluster), { body: parameters });
  }

  beginDelete(resourceGroup: string, workspace: string, cluster: string): Promise<OperationPoller<void>> {
    return this.beginAction('DELETE', this.path(resourceGroup, workspace, cluster));
  }

  /** The nodes' SSH endpoints. */
  listRemoteLoginInformation(
    resourceGroup: string,
    workspace: string,
    cluster: string,
  ): PagedAsyncIterable<RemoteLoginInformation> {
    return pagedIterable(
      this.pipeline,
      'POST',
      `${this.path(resourceGroup, workspace, cluster)}/listRemoteLoginInformation`,
    );
  }
}

export class FileServerOperations extends OperationGroup {
  private path(resourceGroup: string, workspace: string, fileServer?: string): string {
    const base = `${this.workspacePath(resourceGroup, workspace)}/fileServers`;
    return fileServer === undefined ? base : `${base}/${segment(fileServer)}`;
  }

  listByWorkspace(
    resourceGroup: string,
    workspace: string,
    options?: ListOptions,
  ): PagedAsyncIterable<FileServer> {
    return this.listAt(this.path(resourceGroup, workspace), options);
  }

  get(resourceGroup: string, workspace: string, fileServer: string): Promise<FileServer> {
    return this.getAt(this.path(resourceGroup, workspace, fileServer));
  }

  beginCreate(
    resourceGroup: string,
    workspace: string,
    fileServer: string,
    parameters: FileServerCreateParameters,
  ): Promise<OperationPoller<FileServer>> {
    return this.beginPut(this.path(resourceGroup, workspace, fileServer), parameters);
  }

  async create(
    resourceGroup: string,
    workspace: string,
    fileServer: string,
    parameters: FileServerCreateParameters,
  ): Promise<FileServer> {
    return (await this.beginCreate(resourceGroup, workspace, fileServer, parameters)).pollUntilDone();
  }

  beginDelete(resourceGroup: string, workspace: string, fileServer: string): Promise<OperationPoller<void>> {
    return this.beginAction('DELETE', this.path(resourceGroup, workspace, fileServer));
  }
}

export class JobOperations extends OperationGroup {
  private path(resourceGroup: string, workspace: string, experiment: string, job?: string): string {
    const base = `${this.workspacePath(resourceGroup, workspace)}/experiments/${segment(experiment)}/jobs`;
    return job === undefined ? base : `${base}/${segment(job)}`;
  }

  listByExperiment(
    resourceGroup: string,
    workspace: string,
    experiment: string,
    options?: ListOptions,
  ): PagedAsyncIterable<Job> {
    return this.listAt(this.path(resourceGroup, workspace, experiment), options);
  }

  get(resourceGroup: string, workspace: string, experiment: string, job: string): Promise<Job> {
    return this.getAt(this.path(resourceGroup, workspace, experiment, job));
  }

  beginCreate(
    resourceGroup: string,
    workspace: string,
    experiment: string,
    job: string,
    parameters: JobCreateParameters,
  ): Promise<OperationPoller<Job>> {
    return this.beginPut(this.path(resourceGroup, workspace, experiment, job), parameters);
  }

  async create(
    resourceGroup: string,
    workspace: string,
    experiment: string,
    job: string,
    parameters: JobCreateParameters,
  ): Promise<Job> {
    return (await this.beginCreate(resourceGroup, workspace, experiment, job, parameters)).pollUntilDone();
  }

  beginDelete(
    resourceGroup: string,
    workspace: string,
    experiment: string,
    job: string,
  ): Promise<OperationPoller<void>> {
    return this.beginAction('DELETE', this.path(resourceGroup, workspace, experiment, job));
  }

  /** Asks a queued or running job to stop; it ends `failed`. */
  beginTerminate(
    resourceGroup: string,
    workspace: string,
    experiment: string,
    job: string,
  ): Promise<OperationPoller<void>> {
    return this.beginAction('POST', `${this.path(resourceGroup, workspace, experiment, job)}/terminate`);
  }

  /** Files of one output directory (or `stdouterr`) with download links. */
  listOutputFiles(
    resourceGroup: string,
    workspace: string,
    experiment: string,
    job: string,
    options: ListOutputFilesOptions,
  ): PagedAsyncIterable<OutputFile> {
    return pagedIterable(
      this.pipeline,
      'POST',
      `${this.path(resourceGroup, workspace, experiment, job)}/listOutputFiles`,
      {
        query: {
          outputdirectoryid: options.outputDirectoryId,
          directory: options.directory,
          linkexpiryinminutes: options.linkExpiryInMinutes,
          maxresults: options.maxResults,
        },
      },
    );
  }

  /** SSH endpoints of the nodes running the job. */
  listRemoteLoginInformation(
    resourceGroup: string,
    workspace: string,
    experiment: string,
    job: string,
  ): PagedAsyncIterable<RemoteLoginInformation> {
    return pagedIterable(
      this.pipeline,
      'POST',
      `${this.path(resourceGroup, workspace, experiment, job)}/listRemoteLoginInformation`,
    );
  }
}

export class SweepOperations extends OperationGroup {
  private path(resourceGroup: string, workspace: string, experiment: string, sweep?: string): string {
    const base = `${this.workspacePath(resourceGroup, workspace)}/experiments/${segment(experiment)}/sweeps`;
    return sweep === undefined ? base : `${base}/${segment(sweep)}`;
  }

  /** Creates and starts a sweep (201); the same body again is a no-op (200), a different one a 409. */
  createOrUpdate(
    resourceGroup: string,
    workspace: string,
    experiment: string,
    sweep: string,
    parameters: SweepCreateParameters,
  ): Promise<Sweep> {
    return this.pipeline.json('PUT', this.path(resourceGroup, workspace, experiment, sweep), {
      body: parameters,
    });
  }

  get(resourceGroup: string, workspace: string, experiment: string, sweep: string): Promise<Sweep> {
    return this.getAt(this.path(resourceGroup, workspace, experiment, sweep));
  }

  list(
    resourceGroup: string,
    workspace: string,
    experiment: string,
    options?: ListOptions,
  ): PagedAsyncIterable<Sweep> {
    return this.listAt(this.path(resourceGroup, workspace, experiment), options);
  }

  /** Terminates the running trials and creates no more; the sweep ends `cancelled`. */
  cancel(resourceGroup: string, workspace: string, experiment: string, sweep: string): Promise<Sweep> {
    return this.pipeline.json('POST', `${this.path(resourceGroup, workspace, experiment, sweep)}/cancel`);
  }

  /** Deletes the sweep (its trial jobs stay); a running one is cancelled first and goes once its trials stopped. */
  async delete(
    resourceGroup: string,
    workspace: string,
    experiment: string,
    sweep: string,
  ): Promise<SweepDeleteOutcome> {
    const response = await this.pipeline.send(
      'DELETE',
      this.path(resourceGroup, workspace, experiment, sweep),
    );
    return response.status === 202 ? 'deleting' : response.status === 204 ? 'notFound' : 'deleted';
  }
}

/** A synchronous child resource of a workspace (scoring rules, job schedules, role assignments). */
export class WorkspaceChildOperations<T, P> extends OperationGroup {
  constructor(
    pipeline: RestPipeline,
    private readonly segmentName: 'scoringRules' | 'jobSchedules' | 'roleAssignments',
  ) {
    super(pipeline);
  }

  private path(resourceGroup: string, workspace: string, name?: string): string {
    const base = `${this.workspacePath(resourceGroup, workspace)}/${this.segmentName}`;
    return name === undefined ? base : `${base}/${segment(name)}`;
  }

  /** Creates (201) or replaces (200); for role assignments `name` is the principal's object id. */
  createOrUpdate(resourceGroup: string, workspace: string, name: string, parameters: P): Promise<T> {
    return this.pipeline.json('PUT', this.path(resourceGroup, workspace, name), { body: parameters });
  }

  get(resourceGroup: string, workspace: string, name: string): Promise<T> {
    return this.getAt(this.path(resourceGroup, workspace, name));
  }

  list(resourceGroup: string, workspace: string, options?: ListOptions): PagedAsyncIterable<T> {
    return this.listAt(this.path(resourceGroup, workspace), options);
  }

  /** True when something was deleted, false when nothing existed (204). */
  async delete(resourceGroup: string, workspace: string, name: string): Promise<boolean> {
    const response = await this.pipeline.send('DELETE', this.path(resourceGroup, workspace, name));
    return response.status !== 204;
  }
}
