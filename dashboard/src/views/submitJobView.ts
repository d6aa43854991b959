// "Submit a job": an experiment, a job name, a cluster and a pasted Batch AI job.json; the job is PUT as is
// (with the chosen cluster), so old job.json files work unchanged. While the job.json is edited, what in it the
// service would ignore (a property its OpenAPI document does not have) is listed under it, with the closest name.
import { buildJobSubmission, checkResourceName, jobSubmissionWarnings } from '../model/jobSubmission.js';
import { workspacePath } from '../ui/apiClient.js';
import { morphChildren } from '../ui/domMorph.js';
import { h } from '../ui/elementBuilder.js';
import { showFormError } from '../ui/stateBadge.js';
import { listClusters } from './clustersView.js';
import { listExperimentNames } from './jobsView.js';
import { scopeOf, type View, type ViewContext } from './viewContext.js';

const exampleJob = {
  $schema: 'https://raw.githubusercontent.com/Azure/BatchAI/master/schemas/2018-05-01/job.json',
  properties: {
    nodeCount: 1,
    customToolkitSettings: { commandLine: 'echo "hello from $AZ_BATCHAI_JOB_NAME"; sleep 5; echo done' },
    stdOutErrPathPrefix: '$AZ_BATCHAI_JOB_MOUNT_ROOT/logs',
    environmentVariables: [{ name: 'GREETING', value: 'hello' }],
  },
};

export function submitJobView(
  ctx: ViewContext,
  resourceGroup: string,
  workspace: string,
  experiment?: string,
): View {
  const scope = scopeOf(ctx, resourceGroup, workspace);
  const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
  // A live region that is always there (a hidden one is not announced), around the list of warnings.
  const warnings = h('ul', { class: 'form-warning', id: 'sub-json-warnings', hidden: true });
  const warningsRegion = h('div', { role: 'status' }, warnings);
  const experimentSelect = h('select', { id: 'sub-experiment', required: true });
  const clusterSelect = h('select', { id: 'sub-cluster', required: true });
  const jobName = h('input', { id: 'sub-name', required: true, autocomplete: 'off' });
  const jobJson = h('textarea', {
    id: 'sub-json',
    rows: 16,
    spellcheck: 'false',
    required: true,
    'aria-describedby': 'sub-json-help sub-json-warnings',
  });
  let loaded = false;
  const form = h(
    'form',
    { class: 'card', 'aria-labelledby': 'submit-title' },
    h('h1', { id: 'submit-title' }, 'Submit a job ', h('span', { class: 'muted' }, `in ${workspace}`)),
    h(
      'div',
      { class: 'fields' },
      h('label', { for: 'sub-experiment' }, 'Experiment', experimentSelect),
      h('label', { for: 'sub-name' }, 'Job name', jobName),
      h('label', { for: 'sub-cluster' }, 'Cluster', clusterSelect),
    ),
    h('label', { for: 'sub-json', class: 'block' }, 'job.json', jobJson),
    h(
      'p',
      { id: 'sub-json-help', class: 'muted' },
      'A Batch AI 2018-05-01 job.json ({"properties": {...}} or the bare properties). The cluster chosen above replaces properties.cluster. Secrets are sent once and never shown again.',
    ),
    warningsRegion,
    error,
    h(
      'div',
      { class: 'actions' },
      h(
        'button',
        {
          type: 'button',
          class: 'secondary',
          onclick: () => {
            jobJson.value = JSON.stringify(exampleJob, null, 2);
            void showWarnings();
          },
        },
        'Insert an example',
      ),
      h('button', { type: 'submit' }, 'Submit job'),
    ),
  );
  // The service's OpenAPI document, read once per visit of the page; a failed read is tried again at the next edit
  // (meanwhile no warnings).
  let openApi: Promise<unknown> | undefined;
  let edits = 0;
  async function showWarnings(): Promise<void> {
    const edit = ++edits;
    const read = (openApi ??= ctx.api.get<unknown>('/openapi.json').catch(() => {
      openApi = undefined;
      return undefined;
    }));
    const document = await read;
    if (edit !== edits) return; // edited again meanwhile: that edit's check shows
    // What was pasted is checked, whatever cluster is chosen (the choice only replaces properties.cluster).
    const messages = jobSubmissionWarnings(document, jobJson.value);
    morphChildren(
      warnings,
      messages.map((message) => h('li', {}, `Warning: ${message}`)),
    );
    warnings.hidden = messages.length === 0;
  }
  let pending: ReturnType<typeof setTimeout> | undefined;
  jobJson.addEventListener('input', () => {
    clearTimeout(pending);
    pending = setTimeout(() => void showWarnings(), 300);
  });

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const problem =
      (experimentSelect.value ? undefined : 'Choose an experiment (create one on the Jobs page).') ??
      checkResourceName('Job name', jobName.value);
    if (problem) return showFormError(error, problem);
    const built = buildJobSubmission(jobJson.value, clusterSelect.value || undefined);
    if (!built.ok) return showFormError(error, built.message);
    showFormError(error, undefined);
    const exp = experimentSelect.value;
    const submit = form.querySelector('button[type="submit"]') as HTMLButtonElement;
    submit.disabled = true;
    ctx.api
      .change(
        'PUT',
        `${workspacePath(scope)}/experiments/${encodeURIComponent(exp)}/jobs/${encodeURIComponent(jobName.value)}`,
        built.body,
      )
      .then(() => ctx.navigate({ view: 'jobs', resourceGroup, workspace, experiment: exp }))
      .catch((e: unknown) => showFormError(error, e instanceof Error ? e.message : String(e)))
      .finally(() => (submit.disabled = false));
  });

  return {
    element: h('section', {}, form),
    async refresh() {
      // The pickers are filled once (a refresh must not change a choice under the user's hands), then kept.
      if (loaded) return;
      const [experiments, clusters] = await Promise.all([
        listExperimentNames(ctx, resourceGroup, workspace),
        listClusters(ctx, resourceGroup, workspace),
      ]);
      morphChildren(
        experimentSelect,
        experiments.map((e) => h('option', { value: e }, e)),
      );
      if (experiment && experiments.includes(experiment)) experimentSelect.value = experiment;
      morphChildren(clusterSelect, [
        h('option', { value: '' }, 'As named in job.json'),
        ...clusters.map((c) =>
          h('option', { value: c.id ?? '' }, `${c.name ?? ''} (${String(c.properties?.vmSize ?? '')})`),
        ),
      ]);
      if (clusters.length > 0) clusterSelect.value = clusters[0].id ?? '';
      loaded = true;
    },
  };
}
