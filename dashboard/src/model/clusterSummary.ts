// Cluster facts for the clusters table and forms: the scale settings in words, whether a cluster can be resized
// by hand, and the PUT/PATCH bodies of the create and resize forms (validated, naming the field).

export interface ScaleSettingsWire {
  manual?: { targetNodeCount?: number; nodeDeallocationOption?: string };
  autoScale?: { minimumNodeCount?: number; maximumNodeCount?: number; initialNodeCount?: number };
}

export function describeScaleSettings(scale: ScaleSettingsWire | undefined): string {
  if (scale?.autoScale) {
    const a = scale.autoScale;
    const initial = a.initialNodeCount !== undefined ? `, initial ${a.initialNodeCount}` : '';
    return `Auto ${a.minimumNodeCount ?? 0}-${a.maximumNodeCount ?? 0}${initial}`;
  }
  if (scale?.manual) {
    const m = scale.manual;
    const option = m.nodeDeallocationOption ? ` (${m.nodeDeallocationOption})` : '';
    return `Manual ${m.targetNodeCount ?? 0}${option}`;
  }
  return 'Not set';
}

/** The scale settings in words, with the job slots per node when a node runs several jobs at once. */
export function describeCapacity(scale: ScaleSettingsWire | undefined, jobSlotsPerNode: unknown): string {
  const scaled = describeScaleSettings(scale);
  return typeof jobSlotsPerNode === 'number' && jobSlotsPerNode > 1
    ? `${scaled}, ${jobSlotsPerNode} jobs per node`
    : scaled;
}

export function isManuallyScaled(scale: ScaleSettingsWire | undefined): boolean {
  return !!scale?.manual && !scale.autoScale;
}

export type FormResult<T> = { ok: true; body: T } | { ok: false; field: string; message: string };

export function wholeNumber(field: string, text: string, min: number, max: number): number | string {
  if (!/^\d+$/.test(text.trim())) return `${field} must be a whole number.`;
  const n = Number(text.trim());
  if (n < min || n > max) return `${field} must be from ${min} to ${max}.`;
  return n;
}

export const deallocationOptions = ['requeue', 'terminate', 'waitforjobcompletion'] as const;

export function buildResizeBody(
  targetText: string,
  deallocation: string,
): FormResult<{ properties: { scaleSettings: ScaleSettingsWire } }> {
  const target = wholeNumber('Target node count', targetText, 0, 1000);
  if (typeof target === 'string') return { ok: false, field: 'targetNodeCount', message: target };
  if (!(deallocationOptions as readonly string[]).includes(deallocation)) {
    return {
      ok: false,
      field: 'nodeDeallocationOption',
      message: `Choose ${deallocationOptions.join(', ')}.`,
    };
  }
  return {
    ok: true,
    body: {
      properties: {
        scaleSettings: { manual: { targetNodeCount: target, nodeDeallocationOption: deallocation } },
      },
    },
  };
}

/** The admin account of a cluster's nodes or a file server (`userAccountSettings`): a name, an optional key. */
export function adminAccountOf(form: {
  adminUserName: string;
  adminUserSshPublicKey: string;
}): FormResult<Record<string, string>> {
  const adminUserName = form.adminUserName.trim();
  if (adminUserName === '')
    return { ok: false, field: 'adminUserName', message: 'Admin user name is required.' };
  const account: Record<string, string> = { adminUserName };
  const key = form.adminUserSshPublicKey.trim();
  if (key !== '') account.adminUserSshPublicKey = key;
  return { ok: true, body: account };
}

export interface ClusterForm {
  vmSize: string;
  vmPriority: string;
  scaleMode: string;
  targetNodeCount: string;
  minimumNodeCount: string;
  maximumNodeCount: string;
  adminUserName: string;
  adminUserSshPublicKey: string;
  /** How many jobs a node runs at once (empty: 1). */
  jobSlotsPerNode?: string;
}

export function buildClusterBody(form: ClusterForm): FormResult<{ properties: Record<string, unknown> }> {
  const vmSize = form.vmSize.trim();
  if (!/^standard_[a-z0-9_-]+$/i.test(vmSize)) {
    return { ok: false, field: 'vmSize', message: "VM size must be an Azure size such as 'STANDARD_D2_V2'." };
  }
  if (form.vmPriority !== 'dedicated' && form.vmPriority !== 'lowpriority') {
    return { ok: false, field: 'vmPriority', message: 'Priority must be dedicated or lowpriority.' };
  }
  let scaleSettings: ScaleSettingsWire;
  if (form.scaleMode === 'auto') {
    const min = wholeNumber('Minimum node count', form.minimumNodeCount, 0, 1000);
    if (typeof min === 'string') return { ok: false, field: 'minimumNodeCount', message: min };
    const max = wholeNumber('Maximum node count', form.maximumNodeCount, 1, 1000);
    if (typeof max === 'string') return { ok: false, field: 'maximumNodeCount', message: max };
    if (max < min) {
      return {
        ok: false,
        field: 'maximumNodeCount',
        message: 'Maximum node count must not be below the minimum.',
      };
    }
    scaleSettings = { autoScale: { minimumNodeCount: min, maximumNodeCount: max, initialNodeCount: min } };
  } else {
    const target = wholeNumber('Target node count', form.targetNodeCount, 0, 1000);
    if (typeof target === 'string') return { ok: false, field: 'targetNodeCount', message: target };
    scaleSettings = { manual: { targetNodeCount: target, nodeDeallocationOption: 'requeue' } };
  }
  const slotsText = form.jobSlotsPerNode?.trim() ?? '';
  const slots = slotsText === '' ? 1 : wholeNumber('Jobs per node', slotsText, 1, 64);
  if (typeof slots === 'string') return { ok: false, field: 'jobSlotsPerNode', message: slots };
  const userAccountSettings = adminAccountOf(form);
  if (!userAccountSettings.ok) return userAccountSettings;
  return {
    ok: true,
    body: {
      properties: {
        vmSize,
        vmPriority: form.vmPriority,
        scaleSettings,
        userAccountSettings: userAccountSettings.body,
        ...(slots > 1 ? { jobSlotsPerNode: slots } : {}),
      },
    },
  };
}
