import { ApiError, api, followEvents, optional, session } from './api.js';
import { setStandbys, wireActions } from './actions.js';
import { renderNotifications } from './notifications.js';
import { renderBackups, renderConfigStore, renderFailovers } from './timelines.js';
import { renderTopology } from './topology.js';

// Lag and heartbeats change without events: a slow poll keeps them fresh; events refresh at once.
// `?poll=0` turns the poll off (the browser tests prove the event stream alone moves the page).
const POLL_MS = pollInterval(new URLSearchParams(window.location.search).get('poll'));

function pollInterval(seconds) {
  if (seconds === null) return 5000;
  const value = Number(seconds);
  return Number.isFinite(value) && value >= 0 ? value * 1000 : 5000;
}
let events = null;
let poll = null;
let pending = null;
let settled = null;

const byId = (id) => document.getElementById(id);

async function refresh() {
  const [status, cluster, history, backups, backupStatus, cache, ready, deliveries] = await Promise.all([
    api('/api/v1/failover/status'),
    optional('/api/v1/cluster'),
    optional('/api/v1/failover/history?limit=10'),
    optional('/api/v1/backups?limit=20'),
    optional('/api/v1/backups/status'),
    optional('/api/v1/configs/cache/stats'),
    fetch('/health/ready')
      .then((r) => r.json())
      .catch(() => null),
    optional('/api/v1/webhooks/deliveries?limit=30'),
  ]);
  setStandbys(renderTopology(status, cluster));
  renderFailovers(history);
  renderBackups(backups, backupStatus);
  renderConfigStore(cache, ready);
  renderNotifications(deliveries);
  document.body.dataset.refreshedAt = new Date().toISOString();
}

/**
 * Many events in a burst (a failover emits several): one refresh, and a second once the
 * burst has settled, because an event is announced before everything it changed is
 * recorded (a failover's history record is written after db.primary-changed). Keepalives
 * change nothing.
 */
function refreshSoon(type) {
  if (type === 'keepalive') return;
  clearTimeout(pending);
  clearTimeout(settled);
  pending = setTimeout(() => void refresh().catch(showFailure), 150);
  settled = setTimeout(() => void refresh().catch(showFailure), 2500);
}

function showFailure(error) {
  if (error instanceof ApiError && error.status === 401) return signOut('The token was refused (401). Sign in again.');
  report(`Could not refresh: ${error.message}`, true);
}

function report(text, isError) {
  const line = byId('action-result');
  line.textContent = text;
  line.className = isError ? 'notice error' : 'notice';
  line.hidden = false;
}

function setLive(state) {
  const live = byId('live');
  live.dataset.state = state;
  live.textContent = { live: 'live updates', reconnecting: 'reconnecting…', off: 'not live' }[state] ?? state;
  live.className = `badge state-${state === 'live' ? 'good' : state === 'off' ? 'unknown' : 'warn'}`;
}

async function signIn(token) {
  try {
    await api('/api/v1/failover/status', { token });
  } catch (error) {
    const why =
      error instanceof ApiError && (error.status === 401 || error.status === 403)
        ? 'The token was refused.'
        : error.message;
    byId('sign-in-error').textContent = `Sign-in failed: ${why}`;
    byId('sign-in-error').hidden = false;
    return;
  }
  session.save(token);
  await start();
}

async function start() {
  byId('sign-in').hidden = true;
  byId('sign-in-error').hidden = true;
  byId('board').hidden = false;
  byId('sign-out').hidden = false;
  await refresh().catch(showFailure);
  events = followEvents({ onEvent: refreshSoon, onState: setLive });
  if (POLL_MS > 0) poll = setInterval(() => void refresh().catch(showFailure), POLL_MS);
}

function signOut(message) {
  session.clear();
  events?.stop();
  clearInterval(poll);
  byId('board').hidden = true;
  byId('sign-out').hidden = true;
  byId('sign-in').hidden = false;
  // Nothing of the signed-in view stays on the page.
  for (const id of [
    'servers',
    'warnings',
    'topology-summary',
    'failover-list',
    'backup-list',
    'backup-summary',
    'config-summary',
    'endpoints',
    'deliveries',
  ])
    byId(id).replaceChildren();
  if (message) {
    byId('sign-in-error').textContent = message;
    byId('sign-in-error').hidden = false;
  }
}

byId('sign-in').addEventListener('submit', (event) => {
  event.preventDefault();
  const input = byId('token');
  const token = input.value.trim();
  input.value = '';
  void signIn(token);
});
byId('sign-out').addEventListener('click', () => signOut());
wireActions({ report, after: () => refreshSoon('action') });
if (session.token()) void start();
