// The app entry file (package.json "main" -> dist/functions/index.js): importing a module registers its functions.
// Keep this a list of imports, one per trigger module.
import './api/workspacesApi';
import './api/experimentsApi';
import './api/clustersApi';
import './api/fileServersApi';
import './api/jobsApi';
import './api/providerApi';
import './compute/clusterCommandsTrigger';
import './compute/nodeEventsTrigger';
import '../orchestrations/compute/clusterMonitorOrchestrator';
import '../orchestrations/compute/reconcileClusterActivity';
