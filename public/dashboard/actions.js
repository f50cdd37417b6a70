import { api } from './api.js';

/** Each action: what the confirmation says, and the request it sends once confirmed. */
const ACTIONS = {
  acknowledge: {
    text: () =>
      'Acknowledge the last failover? This ends the cooldown and re-enables automatic failover after a failure.',
    note: true,
    send: (note) => api('/api/v1/failover/ack', { method: 'POST', body: note ? { note } : {} }),
  },
  'maintenance-on': {
    text: () => 'Turn maintenance on? Automatic failover is suspended until it is turned off.',
    note: true,
    send: (note) =>
      api('/api/v1/failover/maintenance', {
        method: 'PUT',
        body: { enabled: true, ...(note ? { reason: note } : {}) },
      }),
  },
  'maintenance-off': {
    text: () => 'Turn maintenance off? Automatic failover resumes.',
    send: () => api('/api/v1/failover/maintenance', { method: 'PUT', body: { enabled: false } }),
  },
  switchover: {
    text: () => `Switch the primary over to ${target() || 'the most advanced standby'}? Writes pause for a moment.`,
    send: () => api('/api/v1/failover/switchover', { method: 'POST', body: target() ? { target: target() } : {} }),
  },
  backup: {
    text: () => `Start a ${backupType()} backup now?`,
    send: () => api('/api/v1/backups', { method: 'POST', body: { type: backupType() } }),
  },
};

const target = () => document.getElementById('switchover-target').value;
const backupType = () => document.getElementById('backup-type').value;

/** Wires the action buttons: a confirmation dialog first, then the request; `after` refreshes the board. */
export function wireActions({ report, after }) {
  for (const button of document.querySelectorAll('[data-action]')) {
    button.addEventListener('click', async () => {
      const action = ACTIONS[button.dataset.action];
      const note = await confirmAction(action.text(), action.note === true);
      if (note === null) return;
      try {
        const result = await action.send(note);
        report(`${button.textContent}: ${summaryOf(result)}`, false);
      } catch (error) {
        report(`${button.textContent} failed: ${error.message}`, true);
      }
      after();
    });
  }
}

/** Resolves to the note (possibly '') when confirmed, null when cancelled. */
function confirmAction(text, withNote) {
  const dialog = document.getElementById('confirm');
  document.getElementById('confirm-text').textContent = text;
  const note = document.getElementById('confirm-note');
  note.value = '';
  note.hidden = !withNote;
  document.getElementById('confirm-note-label').hidden = !withNote;
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok' ? note.value.trim() : null), {
      once: true,
    });
    dialog.showModal();
  });
}

function summaryOf(result) {
  if (!result) return 'done';
  if (result.outcome)
    return `${result.outcome}${result.newPrimary ? `, primary ${result.newPrimary}` : ''}${result.error ? ` (${result.error})` : ''}`;
  if (result.id) return `started ${result.id}`;
  return 'done';
}

/** Keeps the switchover list in step with the standbys, and the choice when it still exists. */
export function setStandbys(keys) {
  const select = document.getElementById('switchover-target');
  const chosen = select.value;
  select.replaceChildren(new Option('most advanced standby', ''), ...keys.map((key) => new Option(key, key)));
  if (keys.includes(chosen)) select.value = chosen;
}
