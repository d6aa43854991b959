// The systemd slice a VM node's job processes run in (agent/jobProcessFence.ts keeps it from the Instance Metadata
// Service); the install script writes its unit (shared/adapters/compute/cloudInitCustomData.ts) and the agent's
// unit wants it, so it exists before the agent fences it off and never goes away while the node runs.
export const jobsSlice = 'batchai-jobs.slice';

export const jobsSliceUnit = [
  '[Unit]',
  'Description=Batch AI job processes (no Instance Metadata Service)',
  '',
  '[Slice]',
  '',
].join('\n');
