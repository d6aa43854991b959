// One job: its properties, toolkit, environment variable names, output directories, the live stdout/stderr tail,
// its files with download links, and terminate/delete (confirmed first).
import { isNamedResource } from '../model/armResourceId.js';
import { attemptRows, queueInfoFields } from '../model/jobAttempts.js';
import { jobRow, type JobWire } from '../model/jobRow.js';
import {
  appendChunk,
  defaultLogFile,
  emptyTail,
  isReset,
  logSource,
  nextRange,
  rangeStart,
  type LogTailState,
} from '../model/logTail.js';
import { accumulatePages, type AccumulatedList, type ArmPage } from '../model/pageAccumulator.js';
import { canTerminate, executionStateView, isActive } from '../model/resourceStates.js';
import { formatBytes, formatTimestamp, runDuration } from '../model/timeFormat.js';
import { isNotFound, jobPath } from '../ui/apiClient.js';
import { confirmAction } from '../ui/confirmDialog.js';
import { morphChildren } from '../ui/domMorph.js';
import { h } from '../ui/elementBuilder.js';
import { row, stateBadge } from '../ui/stateBadge.js';
import { scopeOf, type View, type ViewContext } from './viewContext.js';

interface JobFile {
  name: string;
  fileType?: string;
  downloadUrl?: string;
  properties?: { lastModified?: string; contentLength?: number };
}

const toolkitKeys = [
  'customToolkitSettings',
  'tensorFlowSettings',
  'pyTorchSettings',
  'horovodSettings',
  'customMpiSettings',
  'cntkSettings',
  'chainerSettings',
  'caffeSettings',
  'caffe2Settings',
];

export function jobDetailView(
  ctx: ViewContext,
  resourceGroup: string,
  workspace: string,
  experiment: string,
  job: string,
): View {
  const path = jobPath(scopeOf(ctx, resourceGroup, workspace), experiment, job);
  const jobsLink = `#/workspaces/${encodeURIComponent(resourceGroup)}/${encodeURIComponent(workspace)}/experiments/${encodeURIComponent(experiment)}`;
  const badge = h('span', {});
  const terminate = h('button', { type: 'button', class: 'secondary' }, 'Terminate');
  const remove = h('button', { type: 'button', class: 'danger' }, 'Delete');
  const properties = h('dl', { class: 'props' });
  const queue = h('div', { class: 'card', hidden: true });
  const attempts = h('div', { class: 'card' });
  const setup = h('div', {});
  const directory = h('select', { id: 'files-dir' });
  const folder = h('p', { class: 'muted' });
  const files = h('div', { class: 'live' });
  const logFile = h('select', { id: 'log-file' });
  const logNote = h('p', { class: 'muted', 'aria-live': 'polite' });
  const logText = h('pre', { class: 'log', tabindex: 0, 'aria-label': 'Log tail' });
  let executionState: unknown;
  let tail: LogTailState | undefined;
  let decoder = new TextDecoder();
  let outputIds: string[] = [];
  /** The user picked the log file: keep it (otherwise follow the default, stderr once the job failed). */
  let logPicked = false;
  /** The folder shown inside the chosen output directory ('' for its top, else 'a' or 'a/b'). */
  let subdirectory = '';

  terminate.addEventListener('click', () => {
    void confirmAction(
      'Terminate job',
      `Terminate '${job}'? Its processes are stopped; the job ends as failed.`,
      'Terminate',
    ).then(async (yes) => {
      if (yes)
        await ctx.api
          .change('POST', `${path}/terminate`, undefined, 5000)
          .then(ctx.refreshSoon, ctx.reportError);
    });
  });
  remove.addEventListener('click', () => {
    void confirmAction(
      'Delete job',
      `Delete '${job}'? A running job is terminated first; its record is removed.`,
      'Delete',
    ).then(async (yes) => {
      if (!yes) return;
      await ctx.api
        .change('DELETE', path, undefined, 5000)
        .then(() => ctx.navigate({ view: 'jobs', resourceGroup, workspace, experiment }), ctx.reportError);
    });
  });
  directory.addEventListener('change', () => {
    subdirectory = '';
    void refreshFiles().catch(ctx.reportError);
  });
  // Folders of the listing (and the way back up) are buttons inside the morphed region: bound by delegation.
  files.addEventListener('click', (event) => {
    const target = (event.target as HTMLElement | null)?.closest<HTMLElement>('[data-folder]');
    if (!target) return;
    subdirectory = target.dataset.folder ?? '';
    void refreshFiles().catch(ctx.reportError);
  });
  logFile.addEventListener('change', () => {
    logPicked = true;
    tail = undefined;
    void refreshLog().catch(ctx.reportError);
  });

  type Listing = Promise<AccumulatedList<JobFile>>;

  /** The entries of a directory (or of a folder inside it), page after page (nextLink), up to 1,000. */
  function listFiles(outputDirectoryId: string, folderPath = ''): Listing {
    const first = ctx.api.url(`${path}/listOutputFiles`, {
      outputdirectoryid: outputDirectoryId,
      ...(folderPath ? { directory: folderPath } : {}),
    });
    const page = async (url: string): Promise<ArmPage<JobFile>> =>
      (await (await ctx.api.request('POST', url)).json()) as ArmPage<JobFile>;
    return accumulatePages<JobFile>(first, page, 1000);
  }

  /** `stdouterr`: the listing this refresh made already for the log, when the files shown are that one. */
  async function refreshFiles(stdouterr?: Listing): Promise<void> {
    const id = directory.value || 'stdouterr';
    const shown = subdirectory;
    const listing = id === 'stdouterr' && shown === '' && stdouterr ? stdouterr : listFiles(id, shown);
    const { items: list, truncated } = await listing;
    if (shown !== subdirectory || id !== (directory.value || 'stdouterr')) return; // another folder was opened
    const parent = shown.includes('/') ? shown.slice(0, shown.lastIndexOf('/')) : '';
    folder.textContent = shown ? `In ${id}/${shown}` : '';
    morphChildren(files, [
      ...(shown
        ? [
            h(
              'p',
              { 'data-key': `up:${shown}` },
              h(
                'button',
                { type: 'button', class: 'secondary small', 'data-folder': parent },
                `\u2191 Up to ${parent ? `${id}/${parent}` : id}`,
              ),
            ),
          ]
        : []),
      ...(truncated
        ? [h('p', { class: 'muted' }, `The first ${list.length} entries; the directory has more.`)]
        : []),
      list.length === 0
        ? h(
            'p',
            { class: 'empty' },
            shown ? 'This folder is empty.' : 'No files yet (a job has files once it has run).',
          )
        : h(
            'ul',
            { class: 'files' },
            list.map((f) =>
              h(
                'li',
                { 'data-key': `${shown}/${f.name}` },
                f.downloadUrl
                  ? h('a', { href: f.downloadUrl, download: f.name, rel: 'noopener' }, f.name)
                  : h(
                      'button',
                      {
                        type: 'button',
                        class: 'secondary small',
                        'data-folder': shown ? `${shown}/${f.name}` : f.name,
                        'aria-label': `Open folder ${f.name}`,
                      },
                      `${f.name}/`,
                    ),
                h(
                  'span',
                  { class: 'muted' },
                  ` ${formatBytes(f.properties?.contentLength)} ${formatTimestamp(f.properties?.lastModified)}`,
                ),
              ),
            ),
          ),
    ]);
  }

  /** `stdouterr`: this refresh's listing of the stdouterr directory (else it is listed here). */
  async function refreshLog(stdouterr: Listing = listFiles('stdouterr')): Promise<void> {
    const list = (await stdouterr).items.filter((f) => f.fileType !== 'directory' && f.downloadUrl);
    const names = list.map((f) => f.name);
    const chosen =
      logPicked && names.includes(logFile.value) ? logFile.value : defaultLogFile(names, executionState);
    morphChildren(
      logFile,
      names.length
        ? names.map((n) => h('option', { value: n }, n))
        : [h('option', { value: '' }, 'no log yet')],
    );
    logFile.value = chosen;
    const file = list.find((f) => f.name === chosen);
    if (!file?.downloadUrl) {
      logNote.textContent = isActive(executionState)
        ? 'Waiting for the job to write its log...'
        : 'This job has no log.';
      return;
    }
    const length = file.properties?.contentLength ?? 0;
    // Keyed by the blob, not the file name: a requeued job's attempt 2 writes a new stdout.txt under attempt-2/.
    const source = logSource(file.downloadUrl);
    if (!tail || isReset(tail, length, source)) {
      tail = emptyTail(source);
      decoder = new TextDecoder();
    }
    const range = nextRange(tail, length);
    // More was written since the last read than is shown (a paused tab): only the end is read, from a new point.
    if (range && rangeStart(tail, length) !== tail.offset) decoder = new TextDecoder();
    if (range) {
      let response: Response;
      try {
        response = await fetch(file.downloadUrl, { headers: { Range: range }, cache: 'no-store' });
      } catch {
        // A fetch that fails outright is a CORS refusal or an unreachable storage endpoint.
        logNote.textContent = `The log could not be read from this page (the storage account must allow this origin by CORS). Download it instead: ${chosen}`;
        return;
      }
      if (response.status === 206 || response.status === 200) {
        const bytes = new Uint8Array(await response.arrayBuffer());
        const start = response.status === 206 ? Number(/^bytes=(\d+)-/.exec(range)?.[1] ?? 0) : 0;
        tail = appendChunk(tail, start, decoder.decode(bytes, { stream: true }), bytes.length);
      } else if (response.status !== 416) {
        logNote.textContent = `Reading the log failed: HTTP ${response.status}.`;
        return;
      }
    }
    const atBottom = logText.scrollTop + logText.clientHeight >= logText.scrollHeight - 8;
    if (logText.textContent !== tail.text) logText.textContent = tail.text;
    if (atBottom) logText.scrollTop = logText.scrollHeight;
    logNote.textContent = `${chosen}: ${formatBytes(length)}${tail.clipped ? ' (showing the end)' : ''}${isActive(executionState) ? ', refreshing while the job runs' : ''}`;
  }

  function renderSetup(p: Record<string, unknown>): HTMLElement[] {
    const toolkitKey = toolkitKeys.find((k) => p[k] !== undefined);
    const container = (p.containerSettings as { imageSourceRegistry?: { image?: string } } | undefined)
      ?.imageSourceRegistry?.image;
    const env = Array.isArray(p.environmentVariables)
      ? (p.environmentVariables as { name?: string }[]).map((v) => v.name ?? '')
      : [];
    const secrets = Array.isArray(p.secrets)
      ? (p.secrets as { name?: string }[]).map((v) => v.name ?? '')
      : [];
    const outputs = Array.isArray(p.outputDirectories)
      ? (p.outputDirectories as { id?: string; pathPrefix?: string; pathSuffix?: string }[])
      : [];
    const prep = (p.jobPreparation as { commandLine?: string } | undefined)?.commandLine;
    return [
      h('h2', {}, 'Toolkit'),
      toolkitKey
        ? h('pre', { class: 'code' }, `${toolkitKey}: ${JSON.stringify(p[toolkitKey], null, 2)}`)
        : h('p', {}, '-'),
      h(
        'dl',
        { class: 'props' },
        row('Container image', container ?? ''),
        row('Job preparation', prep ?? ''),
        row(
          'Environment variables',
          env.length
            ? h(
                'ul',
                { class: 'names' },
                env.map((n) => h('li', {}, h('code', {}, n))),
              )
            : '',
        ),
        row(
          'Secrets (names only)',
          secrets.length
            ? h(
                'ul',
                { class: 'names' },
                secrets.map((n) => h('li', {}, h('code', {}, n))),
              )
            : '',
        ),
        row('stdout/stderr prefix', String(p.stdOutErrPathPrefix ?? '')),
        row('Output path segment', String(p.jobOutputDirectoryPathSegment ?? '')),
      ),
      h('h2', {}, 'Output directories'),
      outputs.length === 0
        ? h('p', {}, 'None besides stdouterr.')
        : h(
            'ul',
            { class: 'names' },
            outputs.map((o) =>
              h(
                'li',
                {},
                h('code', {}, o.id ?? ''),
                ` ${o.pathPrefix ?? ''}${o.pathSuffix ? `/${o.pathSuffix}` : ''}`,
              ),
            ),
          ),
    ];
  }

  /** This service's extensions: why a queued job waits, and each run of the job (a preempted job runs again). */
  function renderQueueAndAttempts(p: Record<string, unknown>): void {
    const waits = p.executionState === 'queued' ? queueInfoFields(p.queueInfo) : [];
    queue.hidden = waits.length === 0;
    morphChildren(queue, [
      h('h2', { id: 'queue-title' }, 'Why it waits'),
      h('dl', { class: 'props', 'aria-labelledby': 'queue-title' }, ...waits.flatMap(([k, v]) => row(k, v))),
    ]);
    const list = attemptRows(p.attempts);
    morphChildren(attempts, [
      h('h2', { id: 'attempts-title' }, 'Attempts'),
      list.length === 0
        ? h('p', { class: 'empty' }, 'Not started yet.')
        : h(
            'div',
            { class: 'table-wrap' },
            h(
              'table',
              { 'aria-labelledby': 'attempts-title' },
              h(
                'thead',
                {},
                h(
                  'tr',
                  {},
                  ...['Attempt', 'Nodes', 'Started', 'Ended', 'Exit code', 'Outcome'].map((c) =>
                    h('th', { scope: 'col' }, c),
                  ),
                ),
              ),
              h(
                'tbody',
                {},
                list.map((a) =>
                  h(
                    'tr',
                    { 'data-key': a.attempt },
                    h('th', { scope: 'row' }, a.attempt),
                    h('td', {}, a.nodes),
                    h('td', {}, formatTimestamp(a.startTime)),
                    h('td', {}, formatTimestamp(a.endTime)),
                    h('td', { class: 'num' }, a.exitCode),
                    h('td', {}, a.outcome),
                  ),
                ),
              ),
            ),
          ),
    ]);
  }

  const element = h(
    'section',
    { 'aria-labelledby': 'job-title' },
    h('p', {}, h('a', { href: jobsLink }, `\u2190 Jobs of ${experiment}`)),
    h(
      'div',
      { class: 'title-row' },
      h('h1', { id: 'job-title' }, job, ' ', badge),
      h('div', { class: 'actions' }, terminate, remove),
    ),
    h(
      'div',
      { class: 'grid' },
      h('div', { class: 'card' }, h('h2', {}, 'Properties'), properties),
      h('div', { class: 'card' }, setup),
    ),
    queue,
    attempts,
    h(
      'div',
      { class: 'card' },
      h('div', { class: 'title-row' }, h('h2', {}, 'Log'), h('label', { for: 'log-file' }, 'File ', logFile)),
      logNote,
      logText,
    ),
    h(
      'div',
      { class: 'card' },
      h(
        'div',
        { class: 'title-row' },
        h('h2', {}, 'Files'),
        h('label', { for: 'files-dir' }, 'Directory ', directory),
      ),
      folder,
      files,
    ),
  );

  return {
    element,
    async refresh() {
      let wire: JobWire;
      try {
        wire = await ctx.api.get<JobWire>(path);
      } catch (error: unknown) {
        // Deleted (or never there): nothing left to terminate or delete.
        if (isNotFound(error)) terminate.disabled = remove.disabled = true;
        throw error;
      }
      // Actions only on the job this page names (never on whatever resource an odd address reached).
      const named = isNamedResource(wire, 'jobs', job);
      remove.disabled = !named;
      const p = wire.properties ?? {};
      const view = jobRow(wire);
      executionState = view.executionState;
      morphChildren(badge, [stateBadge(executionStateView(view.executionState))]);
      terminate.disabled = !named || !canTerminate(view.executionState);
      morphChildren(properties, [
        ...row('Experiment', experiment),
        ...row('Cluster', view.cluster),
        ...row('Nodes', view.nodeCount),
        ...row('Priority', view.priority),
        ...row('Tool type', view.toolType),
        ...row('Created', formatTimestamp(view.creationTime)),
        ...row('Started', formatTimestamp(view.startTime)),
        ...row('Ended', formatTimestamp(view.endTime)),
        ...row('Duration', runDuration(view.startTime, view.endTime, new Date())),
        ...row('Exit code', view.exitCode),
        ...row(
          'Max wall clock',
          String((p.constraints as { maxWallClockTime?: string } | undefined)?.maxWallClockTime ?? ''),
        ),
        ...(view.waitReason ? row('Waiting for', view.waitReason) : []),
        ...(view.errors.length
          ? row(
              'Errors',
              h(
                'ul',
                { class: 'error-text' },
                view.errors.map((e) => h('li', {}, e)),
              ),
            )
          : []),
        ...(view.errorDetails.length
          ? row(
              'Error details',
              h(
                'div',
                { class: 'error-details' },
                view.errorDetails.map((d) =>
                  h('div', {}, h('div', { class: 'muted' }, d.name), h('pre', { class: 'log' }, d.value)),
                ),
              ),
            )
          : []),
      ]);
      morphChildren(setup, renderSetup(p));
      renderQueueAndAttempts(p);
      const ids = [
        'stdouterr',
        ...(Array.isArray(p.outputDirectories)
          ? (p.outputDirectories as { id?: string }[]).map((o) => o.id ?? '')
          : []),
      ];
      if (ids.join('|') !== outputIds.join('|')) {
        const current = directory.value;
        morphChildren(
          directory,
          ids.map((id) => h('option', { value: id }, id)),
        );
        directory.value = ids.includes(current) ? current : 'stdouterr';
        if (directory.value !== current) subdirectory = '';
        outputIds = ids;
      }
      // One listing of stdouterr per refresh, for the log and (when shown) the files.
      const stdouterr = listFiles('stdouterr');
      await Promise.all([refreshFiles(stdouterr), refreshLog(stdouterr)]);
    },
  };
}
