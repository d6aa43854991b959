// Which environment variable names a job may define itself. The service sets `AZ_BATCH_HOST_LIST` and the
// `AZ_BATCHAI_*` variables of Batch AI; a job may still carry the namespaces that parts of this service fill in
// through the job's own variables: sweep parameters (`AZ_BATCHAI_PARAM_`, shared/domain/sweeps/trialJobBody.ts) and
// the event sources' trigger variables (`AZ_BATCHAI_TRIGGER_`, `AZ_BATCHAI_SCHEDULED_`, and `AZ_BATCHAI_INPUT_`
// names such as `AZ_BATCHAI_INPUT_BLOB_URL` that are not the path of one of the job's input directories).
const jobVariablePrefixes = [
  'AZ_BATCHAI_PARAM_',
  'AZ_BATCHAI_TRIGGER_',
  'AZ_BATCHAI_SCHEDULED_',
  'AZ_BATCHAI_INPUT_',
];

/** Why a job may not define `name` itself; undefined when it may. */
export function serviceVariableConflict(
  name: string,
  inputDirectoryIds: Iterable<string>,
): string | undefined {
  if (name === 'AZ_BATCH_HOST_LIST') return `'${name}' is set by the service; choose another name.`;
  if (!name.startsWith('AZ_BATCHAI_')) return undefined;
  const prefix = jobVariablePrefixes.find((p) => name.startsWith(p));
  if (!prefix) return `'${name}' is set by the service; choose another name.`;
  if (prefix === 'AZ_BATCHAI_INPUT_') {
    const id = name.slice(prefix.length);
    for (const input of inputDirectoryIds) {
      if (input === id) return `'${name}' is the path of the input directory '${id}'; choose another name.`;
    }
  }
  return undefined;
}
