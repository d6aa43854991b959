// The dashboard's address book: the URL hash names the view and the resources it shows, so views are
// bookmarkable and the browser's back button works (#/workspaces/{rg}/{ws}/jobs, .../experiments/{e}/jobs/{j},
// .../sweeps, .../experiments/{e}/sweeps/{s}, .../automation, .../access).

export type DashboardRoute =
  | { view: 'home' }
  | { view: 'clusters'; resourceGroup: string; workspace: string }
  | { view: 'jobs'; resourceGroup: string; workspace: string; experiment?: string }
  | { view: 'submit'; resourceGroup: string; workspace: string; experiment?: string }
  | { view: 'job'; resourceGroup: string; workspace: string; experiment: string; job: string }
  | { view: 'sweeps'; resourceGroup: string; workspace: string; experiment?: string }
  | { view: 'sweep'; resourceGroup: string; workspace: string; experiment: string; sweep: string }
  | { view: 'automation'; resourceGroup: string; workspace: string }
  | { view: 'access'; resourceGroup: string; workspace: string }
  /** A link naming something the API's name rules refuse (e.g. `..`, which URLs fold into the parent). */
  | { view: 'invalid'; field: string; value: string };

/** Workspace, experiment, job and sweep names: the API's rule (1 to 64 letters, digits, '-' and '_'). */
const resourceNamePattern = /^[-\w]{1,64}$/;
/** Resource groups: letters, digits, '-', '_', '.', '(' and ')', up to 90, never only dots ('.' or '..'). */
const resourceGroupPattern = /^[-\w._()]{1,90}$/;

export function isValidResourceName(value: string): boolean {
  return resourceNamePattern.test(value);
}

export function isValidResourceGroupName(value: string): boolean {
  return resourceGroupPattern.test(value) && !/^\.+$/.test(value);
}

export function parseRoute(hash: string): DashboardRoute {
  const parts = hash
    .replace(/^#\/?/, '')
    .split('/')
    .filter((p) => p !== '')
    .map((p) => {
      try {
        return decodeURIComponent(p);
      } catch {
        return p;
      }
    });
  if (parts[0] !== 'workspaces' || parts.length < 3) return { view: 'home' };
  const [, resourceGroup, workspace, section, a, b, c] = parts;
  // Every name the page will put in an API path must be one the API accepts: a name like '..' would be folded by
  // the URL parser, and the page's actions would reach the parent resource (a job page deleting its experiment).
  if (!isValidResourceGroupName(resourceGroup))
    return { view: 'invalid', field: 'resource group', value: resourceGroup };
  if (!isValidResourceName(workspace)) return { view: 'invalid', field: 'workspace', value: workspace };
  const named = (field: string, value: string | undefined): DashboardRoute | undefined =>
    value === undefined || isValidResourceName(value) ? undefined : { view: 'invalid', field, value };
  const experimentSections = section === 'experiments' || section === 'submit';
  const refused =
    (experimentSections ? named('experiment', a) : undefined) ??
    (section === 'experiments' && b === 'jobs' ? named('job', c) : undefined) ??
    (section === 'experiments' && b === 'sweeps' ? named('sweep', c) : undefined);
  if (refused) return refused;
  const ws = { resourceGroup, workspace };
  if (section === 'clusters') return { view: 'clusters', ...ws };
  if (section === 'sweeps') return { view: 'sweeps', ...ws };
  if (section === 'automation') return { view: 'automation', ...ws };
  if (section === 'access') return { view: 'access', ...ws };
  if (section === 'experiments' && a && b === 'sweeps' && c)
    return { view: 'sweep', ...ws, experiment: a, sweep: c };
  if (section === 'experiments' && a && b === 'sweeps') return { view: 'sweeps', ...ws, experiment: a };
  if (section === 'submit') return { view: 'submit', ...ws, ...(a ? { experiment: a } : {}) };
  if (section === 'experiments' && a && b === 'jobs' && c)
    return { view: 'job', ...ws, experiment: a, job: c };
  if (section === 'experiments' && a) return { view: 'jobs', ...ws, experiment: a };
  return { view: 'jobs', ...ws };
}

export function routeHash(route: DashboardRoute): string {
  if (route.view === 'home' || route.view === 'invalid') return '#/';
  const e = encodeURIComponent;
  const ws = `#/workspaces/${e(route.resourceGroup)}/${e(route.workspace)}`;
  switch (route.view) {
    case 'clusters':
      return `${ws}/clusters`;
    case 'jobs':
      return route.experiment ? `${ws}/experiments/${e(route.experiment)}` : `${ws}/jobs`;
    case 'submit':
      return route.experiment ? `${ws}/submit/${e(route.experiment)}` : `${ws}/submit`;
    case 'job':
      return `${ws}/experiments/${e(route.experiment)}/jobs/${e(route.job)}`;
    case 'sweeps':
      return route.experiment ? `${ws}/experiments/${e(route.experiment)}/sweeps` : `${ws}/sweeps`;
    case 'sweep':
      return `${ws}/experiments/${e(route.experiment)}/sweeps/${e(route.sweep)}`;
    case 'automation':
      return `${ws}/automation`;
    case 'access':
      return `${ws}/access`;
  }
}
