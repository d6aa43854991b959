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
  | { view: 'access'; resourceGroup: string; workspace: string };

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
  if (route.view === 'home') return '#/';
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
