import { ago, badge, bytes, duration, el, facts, milliseconds, replaceChildren, time } from './format.js';

/** Failovers and switchovers, newest first, each with its steps and their durations. */
export function renderFailovers(history) {
  const items = history?.items ?? [];
  if (items.length === 0) return replaceChildren('failover-list', el('li', {}, 'No failover or switchover yet.'));
  replaceChildren(
    'failover-list',
    items.map((record) =>
      el(
        'li',
        { 'data-outcome': record.outcome },
        el(
          'p',
          {},
          badge(record.outcome, record.outcome === 'succeeded' ? 'good' : 'bad'),
          ` ${record.kind} ${time(record.startedAt)}: ${record.oldPrimary} → ${record.newPrimary ?? 'none'} (epoch ${record.epoch}${
            record.finishedAt ? `, ${milliseconds(Date.parse(record.finishedAt) - Date.parse(record.startedAt))}` : ''
          })`,
        ),
        record.error ? el('p', { class: 'error' }, record.error) : null,
        el(
          'ol',
          { class: 'steps' },
          (record.steps ?? []).map((step) =>
            el(
              'li',
              {},
              `${step.ok ? 'ok' : 'failed'} ${step.name} ${milliseconds(step.durationMs)}${step.detail ? ` (${step.detail})` : ''}`,
            ),
          ),
        ),
      ),
    ),
  );
}

const STATE_TONE = { succeeded: 'good', verified: 'good', running: 'info', failed: 'bad', expired: 'unknown' };

/** The backup summary (ages, PITR window) and the newest backups. */
export function renderBackups(list, summary) {
  const items = list?.items ?? [];
  facts('backup-summary', [
    ['Running', summary?.running ?? 'none'],
    [
      'Newest verified',
      summary?.newestVerifiedId
        ? `${summary.newestVerifiedId}, ${duration(summary.newestVerifiedAgeSeconds)} old`
        : 'none',
    ],
    [
      'Newest restore-verified',
      summary?.newestRestoreVerifiedId
        ? `${summary.newestRestoreVerifiedId}, ${duration(summary.newestRestoreVerifiedAgeSeconds)} old`
        : 'none',
    ],
    ['Point-in-time window', pitrWindow(summary)],
  ]);
  replaceChildren(
    'backup-list',
    items
      .slice(0, 20)
      .map((backup) =>
        el(
          'tr',
          { 'data-backup': backup.id, 'data-state': backup.state },
          el('td', {}, backup.id),
          el('td', {}, backup.type),
          el('td', {}, badge(backup.state, STATE_TONE[backup.state] ?? 'unknown'), progressOf(backup)),
          el('td', {}, time(backup.startedAt)),
          el(
            'td',
            {},
            backup.finishedAt ? milliseconds(Date.parse(backup.finishedAt) - Date.parse(backup.startedAt)) : '—',
          ),
          el('td', {}, bytes(backup.sizeBytes)),
          el('td', {}, backup.verifiedAt ? ago(backup.verifiedAt) : 'no'),
          el(
            'td',
            {},
            backup.restoreCheck ? `${backup.restoreCheck.outcome} ${ago(backup.restoreCheck.checkedAt)}` : '—',
          ),
        ),
      ),
  );
}

function progressOf(backup) {
  if (backup.state !== 'running' || !backup.progress) return null;
  return ` ${backup.progress.phase ?? ''} ${bytes(backup.progress.bytes ?? 0)}`;
}

function pitrWindow(summary) {
  const window = summary?.pitr ?? summary?.pointInTime ?? null;
  if (!window) return 'not reported by this server';
  if (window.from && window.to) return `${time(window.from)} → ${time(window.to)} (${duration(window.seconds)})`;
  return duration(window.seconds ?? window.windowSeconds);
}

/** Hit rate and breaker state of the config store. */
export function renderConfigStore(stats, ready) {
  const hits = stats?.hits ?? 0;
  const misses = stats?.misses ?? 0;
  const rate = hits + misses === 0 ? '—' : `${((100 * hits) / (hits + misses)).toFixed(1)} %`;
  const details = ready?.details?.configStore ?? ready?.info?.configStore ?? ready?.error?.configStore ?? null;
  const breaker = details?.breaker ?? 'unknown';
  facts('config-summary', [
    ['Hit rate', `${rate} (${hits} hits, ${misses} misses)`],
    ['Cache', stats ? `${stats.store}, ${stats.entries ?? '?'} of ${stats.maxEntries} entries` : '—'],
    ['Host', details?.host ?? '—'],
    ['Breaker', breaker],
  ]);
}
