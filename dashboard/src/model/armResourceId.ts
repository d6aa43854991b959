// Reads the names out of Batch AI ARM resource ids
// (/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.BatchAI/workspaces/{ws}/experiments/{e}/jobs/{j}).

export interface ArmNames {
  subscriptionId?: string;
  resourceGroup?: string;
  workspace?: string;
  experiment?: string;
  job?: string;
  cluster?: string;
  fileServer?: string;
}

const keys: Record<string, keyof ArmNames> = {
  subscriptions: 'subscriptionId',
  resourcegroups: 'resourceGroup',
  workspaces: 'workspace',
  experiments: 'experiment',
  jobs: 'job',
  clusters: 'cluster',
  fileservers: 'fileServer',
};

export function parseArmId(id: unknown): ArmNames {
  const names: ArmNames = {};
  if (typeof id !== 'string') return names;
  const parts = id.split('/').filter((p) => p !== '');
  for (let i = 0; i + 1 < parts.length; i += 1) {
    const key = keys[parts[i].toLowerCase()];
    if (key && names[key] === undefined) {
      names[key] = decodeURIComponent(parts[i + 1]);
      i += 1;
    }
  }
  return names;
}

/**
 * Whether a resource the page read is the one the page names: its ARM `type` ends with the collection (`jobs`,
 * `sweeps`; `Microsoft.BatchAI/Jobs` or `.../experiments/jobs`) and its `name` is the name (ARM names are
 * case-insensitive). A page offers its actions (Delete, Terminate, Cancel) only then, so an address the URL parser
 * folded into another resource's never acts on that one.
 */
export function isNamedResource(resource: unknown, collection: string, name: string): boolean {
  if (!resource || typeof resource !== 'object') return false;
  const { type, name: actual } = resource as { type?: unknown; name?: unknown };
  if (typeof type !== 'string' || typeof actual !== 'string') return false;
  const last = type.split('/').pop() ?? '';
  return last.toLowerCase() === collection.toLowerCase() && actual.toLowerCase() === name.toLowerCase();
}
