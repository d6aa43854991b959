// The app entry file (package.json "main" -> dist/functions/index.js): importing a module registers its functions.
// Keep this a list of imports, one per trigger module.
import { app } from '@azure/functions';
import { registerInvocationTracing } from '../shared/telemetry/invocationTracing';

import './api/workspacesApi';
import './api/experimentsApi';
import './api/clustersApi';
import './api/fileServersApi';
import './api/jobsApi';
import './api/providerApi';
import './api/roleAssignmentsApi';
import './api/pendingOperationsTimer';
import './api/operationsPurgeTimer';
import './compute/clusterCommandsTrigger';
import './compute/nodeEventsTrigger';
import '../orchestrations/compute/clusterMonitorOrchestrator';
import '../orchestrations/compute/reconcileClusterActivity';
import './compute/fileServerCommandsTrigger';
import '../orchestrations/compute/fileServerMonitorOrchestrator';
import '../orchestrations/compute/reconcileFileServerActivity';
import './compute/monitorReconcilerTimer';
import './jobs/jobCommandsTrigger';
import './jobs/jobReconcilerTimer';
import './jobs/durableHistoryPurgeTimer';
import '../orchestrations/jobs/jobLifecycleOrchestrator';
import '../orchestrations/jobs/jobSchedulerOrchestrator';
import '../orchestrations/jobs/scheduleJobsActivity';
import '../orchestrations/jobs/requestJobSchedulingActivity';
import '../orchestrations/jobs/launchJobTasksActivity';
import '../orchestrations/jobs/stopJobTasksActivity';
import '../orchestrations/jobs/completeJobAttemptActivity';
import '../orchestrations/jobs/readJobStateActivity';
import '../orchestrations/jobs/checkJobNodesActivity';

// Every invocation runs in its trace context, so orchestrations started from a request join the request's trace;
// this also validates the telemetry settings at startup rather than at the first request.
registerInvocationTracing(app);
import './dashboard/dashboardFunction';
import './dashboard/dashboardConfigFunction';
import './events/jobSubmissionsTrigger';
import './events/scoringBlobEventsTrigger';
import './events/scoringBatchesTrigger';
import './events/jobSchedulesTimer';
import './events/scoringBatchesExpiryTimer';
import './events/eventSourcesApi';
import './events/computeEventsTrigger';
import './sweeps/sweepsApi';
import '../orchestrations/sweeps/sweepOrchestrator';
import '../orchestrations/sweeps/pollSweepTrialsActivity';
import '../orchestrations/sweeps/createSweepTrialsActivity';
import '../orchestrations/sweeps/terminateSweepTrialsActivity';
import '../orchestrations/sweeps/recordSweepStatusActivity';
