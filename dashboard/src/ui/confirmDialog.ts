// An accessible confirmation for destructive actions (terminate, delete): a native modal <dialog>, which traps
// the focus, closes on Escape and returns the focus to the button that opened it.
import { h } from './elementBuilder.js';

export function confirmAction(title: string, message: string, confirmLabel: string): Promise<boolean> {
  return new Promise((resolve) => {
    const dialog = h(
      'dialog',
      { class: 'confirm', 'aria-labelledby': 'confirm-title' },
      h('h2', { id: 'confirm-title' }, title),
      h('p', {}, message),
      h(
        'form',
        { method: 'dialog', class: 'actions' },
        h('button', { value: 'cancel', class: 'secondary' }, 'Cancel'),
        h('button', { value: 'confirm', class: 'danger' }, confirmLabel),
      ),
    );
    dialog.addEventListener('close', () => {
      resolve(dialog.returnValue === 'confirm');
      dialog.remove();
    });
    document.body.appendChild(dialog);
    dialog.showModal();
    // Safer default: Cancel has the focus.
    (dialog.querySelector('button[value="cancel"]') as HTMLButtonElement).focus();
  });
}
