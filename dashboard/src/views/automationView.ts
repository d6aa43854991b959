// A workspace's automation: its scoring rules (blobs that start jobs) and job schedules (timers that start jobs),
// with each schedule's next run and what its last run did, linking to the job it created. Rules and schedules are
// made with the API or the CLI (docs/event-sources.md); this page shows them.
import { jobScheduleRow, scoringRuleRow, type DefinitionWire } from '../model/automationSummary.js';
import { routeHash } from '../model/dashboardRoute.js';
import { formatTimestamp } from '../model/timeFormat.js';
import { workspacePath } from '../ui/apiClient.js';
import { morphChildren } from '../ui/domMorph.js';
import { h } from '../ui/elementBuilder.js';
import { scopeOf, type View, type ViewContext } from './viewContext.js';

function table(caption: string, headers: string[], rows: HTMLElement[]): HTMLElement {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      {},
      h('caption', { class: 'visually-hidden' }, caption),
      h('thead', {}, h('tr', {}, ...headers.map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, rows),
    ),
  );
}

const enabledText = (enabled: boolean): string => (enabled ? 'yes' : 'no (disabled)');

export function automationView(ctx: ViewContext, resourceGroup: string, workspace: string): View {
  const scope = scopeOf(ctx, resourceGroup, workspace);
  const rules = h('div', { class: 'live' });
  const schedules = h('div', { class: 'live' });
  const element = h(
    'section',
    { 'aria-labelledby': 'automation-title' },
    h('h1', { id: 'automation-title' }, 'Automation ', h('span', { class: 'muted' }, `in ${workspace}`)),
    h('h2', { id: 'rules-title' }, 'Scoring rules'),
    h('p', { class: 'muted' }, 'A blob created where a rule looks starts a job from its template.'),
    rules,
    h('h2', { id: 'schedules-title' }, 'Job schedules'),
    h(
      'p',
      { class: 'muted' },
      'A schedule starts a job from its template at each due time of its NCRONTAB expression (in UTC; times here are local).',
    ),
    schedules,
  );

  return {
    element,
    async refresh() {
      const [ruleList, scheduleList] = await Promise.all([
        ctx.api.list<DefinitionWire>(`${workspacePath(scope)}/scoringRules`),
        ctx.api.list<DefinitionWire>(`${workspacePath(scope)}/jobSchedules`),
      ]);
      const ruleRows = ruleList.items
        .map(scoringRuleRow)
        .sort((a, b) => a.name.localeCompare(b.name))
        .map((rule) =>
          h(
            'tr',
            { 'data-key': rule.name },
            h('th', { scope: 'row' }, rule.name),
            h('td', {}, rule.source),
            h(
              'td',
              {},
              rule.experiment
                ? h(
                    'a',
                    {
                      href: routeHash({
                        view: 'jobs',
                        resourceGroup,
                        workspace,
                        experiment: rule.experiment,
                      }),
                    },
                    rule.experiment,
                  )
                : '',
            ),
            h('td', {}, rule.jobs),
            h('td', {}, enabledText(rule.enabled)),
            h('td', {}, formatTimestamp(rule.creationTime)),
          ),
        );
      const scheduleRows = scheduleList.items
        .map(jobScheduleRow)
        .sort((a, b) => a.name.localeCompare(b.name))
        .map((schedule) =>
          h(
            'tr',
            { 'data-key': schedule.name },
            h('th', { scope: 'row' }, schedule.name),
            h('td', {}, h('code', {}, schedule.schedule)),
            h('td', {}, schedule.experiment),
            h('td', {}, schedule.overlap),
            h('td', {}, enabledText(schedule.enabled)),
            h('td', {}, schedule.enabled ? formatTimestamp(schedule.nextRunTime) : ''),
            h('td', {}, formatTimestamp(schedule.lastDueTime)),
            h('td', { class: schedule.lastRunFailed ? 'error-text' : undefined }, schedule.lastRun),
            h(
              'td',
              {},
              schedule.lastJob
                ? h(
                    'a',
                    {
                      href: routeHash({
                        view: 'job',
                        resourceGroup,
                        workspace,
                        experiment: schedule.experiment,
                        job: schedule.lastJob,
                      }),
                    },
                    schedule.lastJob,
                  )
                : '',
            ),
          ),
        );
      morphChildren(rules, [
        ruleRows.length === 0
          ? h(
              'p',
              { class: 'empty' },
              'No scoring rules. Create one with PUT .../workspaces/{ws}/scoringRules/{rule}.',
            )
          : table(
              `Scoring rules in ${workspace}`,
              ['Rule', 'Blobs', 'Experiment', 'Jobs', 'Enabled', 'Created'],
              ruleRows,
            ),
      ]);
      morphChildren(schedules, [
        scheduleRows.length === 0
          ? h(
              'p',
              { class: 'empty' },
              'No job schedules. Create one with PUT .../workspaces/{ws}/jobSchedules/{schedule}.',
            )
          : table(
              `Job schedules in ${workspace}`,
              [
                'Schedule',
                'When',
                'Experiment',
                'Overlap',
                'Enabled',
                'Next run',
                'Last due time',
                'Last run',
                'Last job',
              ],
              scheduleRows,
            ),
      ]);
    },
  };
}
