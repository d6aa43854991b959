// Small shared view pieces: a coloured state badge (colour plus text, never colour alone), the node state bar,
// a field-error line for forms, and a definition list row.
import type { StateView } from '../model/resourceStates.js';
import { nodeCountBar } from '../model/nodeCountBar.js';
import { h, type Child } from './elementBuilder.js';

export function stateBadge(view: StateView): HTMLElement {
  return h('span', { class: `badge tone-${view.tone}` }, view.label);
}

export function nodeBar(counts: Record<string, unknown> | undefined): HTMLElement {
  const bar = nodeCountBar(counts);
  return h(
    'div',
    { class: 'nodebar-wrap' },
    h(
      'div',
      { class: 'nodebar', role: 'img', 'aria-label': `Nodes: ${bar.summary}` },
      bar.segments.map((s) =>
        h('span', {
          class: `seg seg-${s.state}`,
          style: `width:${s.percent}%`,
          title: `${s.count} ${s.state}`,
        }),
      ),
    ),
    h('span', { class: 'nodebar-text' }, bar.summary),
  );
}

export function row(label: string, value: Child): HTMLElement[] {
  return [h('dt', {}, label), h('dd', {}, value === '' || value === undefined ? '-' : value)];
}

/** Shows a form's validation or API error next to the form (role=alert, so it is announced). */
export function showFormError(region: HTMLElement, message: string | undefined): void {
  region.textContent = message ?? '';
  region.hidden = !message;
}
