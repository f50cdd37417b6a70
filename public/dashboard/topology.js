import { ago, badge, el, facts, replaceChildren } from './format.js';

const ROLE_TONE = { primary: 'good', standby: 'info', fenced: 'warn' };

/** The topology card: summary facts, warnings, one row per server. */
export function renderTopology(status, cluster) {
  if (!status || (status.enabled === false && !status.servers)) {
    facts('topology-summary', [['Failover', status?.reason ?? 'not available on this server']]);
    replaceChildren('servers');
    replaceChildren('warnings');
    return [];
  }
  facts('topology-summary', [
    ['Primary', status.primary],
    ['Epoch', String(status.epoch)],
    ['Leader node', leaderOf(cluster)],
    ['Detection', `${status.detection?.verdict ?? '—'} (${status.detection?.misses ?? 0} missed)`],
    ['Automatic failover', automaticState(status)],
    ['Switching', status.switching ? 'yes, a change is running' : 'no'],
  ]);
  const problems = [
    ...(status.warnings ?? []),
    status.disabledReason ? `automatic failover disabled: ${status.disabledReason}` : null,
    status.detection?.blockedReason ? `blocked: ${status.detection.blockedReason}` : null,
  ].filter(Boolean);
  replaceChildren(
    'warnings',
    problems.map((text) => el('li', { class: 'problem' }, badge('warning', 'warn'), ' ', text)),
  );
  replaceChildren('servers', status.servers.map(serverRow));
  return status.servers.filter((server) => server.role === 'standby').map((server) => server.key);
}

function serverRow(server) {
  const reachable =
    server.reachable === null
      ? badge('unknown', 'unknown')
      : server.reachable
        ? badge('up', 'good')
        : badge('down', 'bad');
  const replication = server.replication;
  const lag = replication ? (replication.lagSeconds === null ? 'not applying' : `${replication.lagSeconds} s`) : '—';
  const heard = server.lastHeartbeatAt ?? server.lastSeenAt ?? server.lastFencedAt ?? null;
  return el(
    'tr',
    { 'data-server': server.key, 'data-role': server.role },
    el('td', {}, server.key),
    el('td', {}, badge(server.role, ROLE_TONE[server.role] ?? 'unknown')),
    el('td', {}, reachable),
    el('td', {}, lag),
    el('td', {}, ago(heard)),
    el('td', {}, problemsOf(server).join('; ') || 'none'),
  );
}

function problemsOf(server) {
  const r = server.replication;
  return [
    server.lastError,
    r && r.ioThread !== 'Yes' ? `IO thread ${r.ioThread}` : null,
    r && r.sqlThread !== 'Yes' ? `SQL thread ${r.sqlThread}` : null,
    r?.lastIoError,
    r?.lastSqlError,
    server.role === 'primary' && server.readOnly ? 'read-only' : null,
    server.role === 'primary' && server.semiSyncActive === false ? 'semi-sync off' : null,
    ...rejoinProblems(server.rejoin),
  ].filter(Boolean);
}

/** Why a fenced server is still fenced: errant transactions (and the rows they touched), or a failed rejoin. */
function rejoinProblems(rejoin) {
  if (!rejoin) return [];
  const errant = rejoin.errant
    ? `errant transactions ${rejoin.errant.errantGtids}: ${
        (rejoin.errant.changes ?? []).map((c) => `${c.operation} ${c.table} (${c.rows} rows)`).join(', ') ||
        'rows unknown'
      }; rejoin with reclone after deciding`
    : null;
  const state = rejoin.state === 'rejoining' ? 'rejoining now' : null;
  return [errant, state, rejoin.state === 'failed' ? `rejoin failed: ${rejoin.lastError}` : null];
}

function automaticState(status) {
  if (status.maintenance?.enabled)
    return `maintenance${status.maintenance.reason ? `: ${status.maintenance.reason}` : ''}`;
  if (status.disabledReason) return 'disabled until acknowledged';
  if (status.cooldown?.active) return `cooldown until ${status.cooldown.until}`;
  return 'armed';
}

function leaderOf(cluster) {
  if (!cluster) return '—';
  const leader = cluster.leader;
  const name = leader
    ? `${leader.nodeId}${leader.address ? ` (${leader.address})` : ''}`
    : 'none: no node leads right now';
  return cluster.mode === 'single-node' ? `${name}, single node` : name;
}
