import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import request from 'supertest';
import { ClusterMetrics } from '../../src/cluster/cluster.metrics';
import type { EtcdCluster } from '../../src/cluster/etcd/etcd-cluster';
import type { Leadership } from '../../src/cluster/leadership';
import { MetricsRegistry } from '../../src/common/metrics/metrics-registry';
import { SystemClock } from '../../src/common/time/clock';
import { ADMIN_TOKEN, AUTH, takeBackup } from '../support/backup-api';
import { type PromExposition, familiesExposed, parsePrometheusText } from '../support/prometheus-text';
import { type TestApp, startTestApp } from '../support/test-app';

const METRICS_TOKEN = 'metrics-scrape-token-0123456789';
const NO_SCHEDULES = { BACKUP_FULL_CRON: 'off', BACKUP_INCREMENTAL_CRON: 'off' };

async function scrape(t: TestApp): Promise<PromExposition> {
  const response = await request(t.server).get('/metrics').expect(200);
  return parsePrometheusText(response.text);
}

/** The whole app, no METRICS_TOKEN: supertest's requests come from 127.0.0.1. */
describe('GET /metrics on loopback, without METRICS_TOKEN', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ ADMIN_TOKEN, ...NO_SCHEDULES });
  });
  afterAll(() => t?.close());

  it('answers in the Prometheus text format, uncached', async () => {
    const response = await request(t.server).get('/metrics').expect(200);
    expect(response.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(response.headers['cache-control']).toBe('no-store');
  });

  it.each([
    ['logic_ha_http_request_duration_seconds', 'histogram'],
    ['logic_ha_process_cpu_user_seconds_total', 'counter'],
    ['logic_ha_nodejs_eventloop_lag_seconds', 'gauge'],
    ['logic_ha_metrics_collect_errors_total', 'counter'],
    ['logic_ha_backup_since_last_completion_seconds', 'gauge'],
    ['logic_ha_backup_since_last_verified_seconds', 'gauge'],
    ['logic_ha_backup_since_last_restore_verified_seconds', 'gauge'],
    ['logic_ha_backup_last_size_bytes', 'gauge'],
    ['logic_ha_backup_last_duration_seconds', 'gauge'],
    ['logic_ha_backup_failures_total', 'counter'],
    ['logic_ha_backup_pitr_window_seconds', 'gauge'],
    ['logic_ha_backup_pitr_window_end_age_seconds', 'gauge'],
    ['logic_ha_backup_running', 'gauge'],
    ['logic_ha_config_cache_hits_total', 'counter'],
    ['logic_ha_config_cache_misses_total', 'counter'],
    ['logic_ha_config_cache_entries', 'gauge'],
    ['logic_ha_config_host_errors_total', 'counter'],
    ['logic_ha_config_host_breaker_state', 'gauge'],
    ['logic_ha_config_host_up', 'gauge'],
    ['logic_ha_config_file_fallbacks_total', 'counter'],
    ['logic_ha_config_stale_answers_total', 'counter'],
    ['logic_ha_instance_operations_total', 'counter'],
    ['logic_ha_instances_long_running', 'gauge'],
    ['logic_ha_instance_retry_claims_total', 'counter'],
    ['logic_ha_cluster_is_leader', 'gauge'],
    ['logic_ha_cluster_has_leader', 'gauge'],
    ['logic_ha_cluster_leader_changes_total', 'counter'],
    ['logic_ha_server_up', 'gauge'],
    ['logic_ha_server_role', 'gauge'],
    ['logic_ha_replication_lag_seconds', 'gauge'],
    ['logic_ha_replication_io_thread_running', 'gauge'],
    ['logic_ha_replication_sql_thread_running', 'gauge'],
    ['logic_ha_topology_epoch', 'gauge'],
    ['logic_ha_failovers_total', 'counter'],
    ['logic_ha_failover_since_last_seconds', 'gauge'],
    ['logic_ha_failover_detection_seconds', 'histogram'],
    ['logic_ha_failover_promotion_seconds', 'histogram'],
    ['logic_ha_failover_automatic_disabled', 'gauge'],
    ['logic_ha_failover_maintenance', 'gauge'],
    ['logic_ha_failover_in_progress', 'gauge'],
    ['logic_ha_rejoin_errant', 'gauge'],
    ['logic_ha_webhook_delivery_outcomes_total', 'counter'],
  ])('exposes %s as a %s', async (name, type) => {
    expect((await scrape(t)).types.get(name)).toBe(type);
  });

  it('every metric it exposes is a logic_ha_ one', async () => {
    const outsiders = [...(await scrape(t)).types.keys()].filter((name) => !name.startsWith('logic_ha_'));
    expect(outsiders).toEqual([]);
  });

  it('labels HTTP requests by route pattern, never by raw URL, and by status', async () => {
    await request(t.server).get('/api/v1/backups/20261127-020000-000F').set(AUTH).expect(404);
    await request(t.server).get('/no/such/route/4711').expect(404);
    const metrics = await scrape(t);
    expect(
      metrics.value('logic_ha_http_request_duration_seconds_count', {
        method: 'GET',
        route: '/api/v1/backups/:id',
        status_code: '404',
      }),
    ).toBe(1);
    expect(
      metrics.value('logic_ha_http_request_duration_seconds_count', { route: 'unmatched', status_code: '404' }),
    ).toBe(1);
    const routes = metrics.all('logic_ha_http_request_duration_seconds_count').map((s) => s.labels.route);
    expect(routes.filter((route) => /4711|20261127/.test(route))).toEqual([]);
  });

  it('a config read moves the cache counters: a miss, then hits', async () => {
    const before = await scrape(t);
    const hits = before.value('logic_ha_config_cache_hits_total') ?? 0;
    const misses = before.value('logic_ha_config_cache_misses_total') ?? 0;
    await request(t.server)
      .post('/api/v1/configs/metrics-flow/publish')
      .set(AUTH)
      .send({ version: '1', config: { name: 'Metrics flow', version: '1', nodes: [{ id: 'start' }] } })
      .expect(201);
    for (let read = 0; read < 3; read++) await request(t.server).get('/api/v1/configs/metrics-flow').expect(200);
    const after = await scrape(t);
    expect(after.value('logic_ha_config_cache_misses_total')).toBe(misses + 1);
    expect(after.value('logic_ha_config_cache_hits_total')).toBe(hits + 2);
    // This node's database is the host: no breaker to show.
    expect(after.all('logic_ha_config_host_breaker_state')).toEqual([]);
    expect(after.value('logic_ha_config_host_up')).toBe(1);
  });

  it('a lifecycle call moves its operation counter by outcome', async () => {
    await request(t.server).post('/api/v1/instances/start').send({ logicId: 'metrics-flow', bizId: 'b-1' }).expect(200);
    await request(t.server).put('/api/v1/instances/metrics-flow/nobody/next').send({ nextId: 'n2' }).expect(404);
    const metrics = await scrape(t);
    expect(metrics.value('logic_ha_instance_operations_total', { operation: 'start', outcome: 'ok' })).toBe(1);
    expect(metrics.value('logic_ha_instance_operations_total', { operation: 'next', outcome: 'rejected' })).toBe(1);
  });

  it('a backup run moves the backup gauges', async () => {
    const before = await scrape(t);
    expect(before.all('logic_ha_backup_since_last_completion_seconds')).toEqual([]);
    expect(before.all('logic_ha_backup_pitr_window_seconds')).toEqual([]);
    const backup = await takeBackup(t, 'full');
    const after = await scrape(t);
    const age = after.value('logic_ha_backup_since_last_completion_seconds', { type: 'full' });
    expect(age).toBeGreaterThanOrEqual(0);
    expect(age).toBeLessThan(600);
    expect(after.value('logic_ha_backup_last_size_bytes', { type: 'full' })).toBe(backup.sizeBytes);
    expect(after.value('logic_ha_backup_last_duration_seconds', { type: 'full' })).toBeGreaterThanOrEqual(0);
    // A full alone: its chain reaches only its own end, so the window is empty but present.
    expect(after.value('logic_ha_backup_pitr_window_seconds')).toBe(0);
    expect(after.value('logic_ha_backup_running')).toBe(0);
    expect(after.value('logic_ha_backup_failures_total', { type: 'full' })).toBe(0);
  });

  it('shows this single node as the leader, and no etcd gauge', async () => {
    const metrics = await scrape(t);
    expect(metrics.value('logic_ha_cluster_is_leader')).toBe(1);
    expect(metrics.value('logic_ha_cluster_has_leader')).toBe(1);
    expect(metrics.types.has('logic_ha_cluster_etcd_last_contact_seconds')).toBe(false);
  });

  it('SQLite has no replicated servers: the per-server families are there, without samples', async () => {
    const metrics = await scrape(t);
    expect(metrics.all('logic_ha_server_up')).toEqual([]);
    expect(metrics.all('logic_ha_topology_epoch')).toEqual([]);
  });

  it('refuses a client that is not on loopback, and says how to open it', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/metrics', remoteAddress: '10.1.2.3' });
    expect(response.statusCode).toBe(403);
    expect(response.json()).toMatchObject({
      code: 'METRICS_LOOPBACK_ONLY',
      message: expect.stringMatching(
        /only loopback clients while METRICS_TOKEN is unset \(this request came from 10\.1\.2\.3\)/,
      ),
    });
    expect(response.body).not.toContain('logic_ha_');
  });

  it('ignores X-Forwarded-For: the socket decides', async () => {
    const response = await t.app.inject({
      method: 'GET',
      url: '/metrics',
      remoteAddress: '10.1.2.3',
      headers: { 'x-forwarded-for': '127.0.0.1' },
    });
    expect(response.statusCode).toBe(403);
  });
});

describe('GET /metrics with METRICS_TOKEN', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ ADMIN_TOKEN, METRICS_TOKEN, ...NO_SCHEDULES });
  });
  afterAll(() => t?.close());

  it.each([
    ['no Authorization header', undefined, 'AUTHENTICATION_REQUIRED', /needs the metrics token/],
    [
      'the Basic scheme',
      `Basic ${Buffer.from(`prometheus:${METRICS_TOKEN}`).toString('base64')}`,
      'AUTHENTICATION_REQUIRED',
      /Bearer scheme/,
    ],
    ['the token without a scheme', METRICS_TOKEN, 'AUTHENTICATION_REQUIRED', /Bearer scheme/],
    ['a wrong token', 'Bearer wrong-token-0123456789', 'INVALID_TOKEN', /not the metrics token/],
    ['the admin token (a scope of its own)', `Bearer ${ADMIN_TOKEN}`, 'INVALID_TOKEN', /not the metrics token/],
  ])('refuses %s with a 401 even on loopback', async (_what, header, code, message) => {
    const call = request(t.server).get('/metrics');
    const response = await (header === undefined ? call : call.set('Authorization', header)).expect(401);
    expect(response.body).toMatchObject({ code, message: expect.stringMatching(message) });
    expect(response.text).not.toContain('logic_ha_');
  });

  it('answers the right token, from loopback and from elsewhere', async () => {
    const local = await request(t.server).get('/metrics').set('Authorization', `Bearer ${METRICS_TOKEN}`).expect(200);
    expect(local.text).toContain('# TYPE logic_ha_http_request_duration_seconds histogram');
    const remote = await t.app.inject({
      method: 'GET',
      url: '/metrics',
      remoteAddress: '10.1.2.3',
      headers: { authorization: `bearer ${METRICS_TOKEN}` },
    });
    expect(remote.statusCode).toBe(200);
  });

  it('counts the refused scrapes too', async () => {
    const metrics = parsePrometheusText(
      (await request(t.server).get('/metrics').set('Authorization', `Bearer ${METRICS_TOKEN}`).expect(200)).text,
    );
    expect(
      metrics.value('logic_ha_http_request_duration_seconds_count', { route: '/metrics', status_code: '401' }),
    ).toBeGreaterThanOrEqual(5);
  });
});

interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels: { severity: string };
  annotations: { summary: string; description: string };
}

/** docs/alerts.yaml against what the app really serves. */
describe('docs/alerts.yaml', () => {
  let t: TestApp;
  let exposed: Set<string>;
  const root = join(__dirname, '..', '..');
  const rules = (
    load(readFileSync(join(root, 'docs', 'alerts.yaml'), 'utf8')) as { groups: { rules: AlertRule[] }[] }
  ).groups.flatMap((group) => group.rules);

  beforeAll(async () => {
    t = await startTestApp({ ADMIN_TOKEN, ...NO_SCHEDULES });
    exposed = familiesExposed(await scrape(t));
    // Cluster mode adds the etcd gauge, which a single node does not serve: take it from the collector itself.
    const cluster = new MetricsRegistry();
    const etcd = { keeper: { lastContactAt: null } } as unknown as EtcdCluster;
    const leadership = { isLeader: () => true, leader: () => null } as unknown as Leadership;
    new ClusterMetrics(cluster, leadership, new SystemClock(), etcd);
    for (const name of familiesExposed(parsePrometheusText(await cluster.text()))) exposed.add(name);
  });
  afterAll(() => t?.close());

  it('is valid YAML with named, unique alerts, each with a severity and a summary', () => {
    expect(rules.length).toBeGreaterThanOrEqual(10);
    const names = rules.map((rule) => rule.alert);
    expect(new Set(names).size).toBe(names.length);
    for (const rule of rules) {
      expect(rule.alert).toMatch(/^LogicHa[A-Za-z]+$/);
      expect(['critical', 'warning', 'info']).toContain(rule.labels.severity);
      expect(rule.annotations.summary).toBeTruthy();
      if (rule.for !== undefined) expect(rule.for).toMatch(/^\d+[smh]$/);
    }
  });

  it('every expression names only metrics that GET /metrics serves', () => {
    for (const rule of rules) {
      const named = rule.expr.match(/logic_ha_[a-z0-9_]+/g) ?? [];
      expect({ alert: rule.alert, named: named.length > 0 }).toEqual({ alert: rule.alert, named: true });
      expect({ alert: rule.alert, unknown: named.filter((name) => !exposed.has(name)) }).toEqual({
        alert: rule.alert,
        unknown: [],
      });
    }
  });

  it.each([
    'LogicHaPrimaryDown',
    'LogicHaReplicationStopped',
    'LogicHaReplicationLagging',
    'LogicHaFailoverFailed',
    'LogicHaAutomaticFailoverDisabled',
    'LogicHaNoVerifiedBackup',
    'LogicHaBackupTooOld',
    'LogicHaErrantTransactions',
    'LogicHaWebhooksFailing',
    'LogicHaPitrGap',
    'LogicHaConfigHostBreakerOpen',
    'LogicHaNoLeader',
    'LogicHaEtcdLost',
  ])('ships %s', (alert) => {
    expect(rules.map((rule) => rule.alert)).toContain(alert);
  });

  it('has a runbook line for every alert in the README', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Metrics and alerts'));
    expect(readme).toContain('## Metrics and alerts');
    for (const rule of rules)
      expect({ alert: rule.alert, inReadme: section.includes(`\`${rule.alert}\``) }).toEqual({
        alert: rule.alert,
        inReadme: true,
      });
  });

  it('lists every logic_ha_ metric family in the README table (Node defaults excepted)', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const ours = [...exposed].filter(
      (name) => !/^logic_ha_(process|nodejs)_/.test(name) && !/_(bucket|sum|count)$/.test(name),
    );
    expect(ours.filter((name) => !readme.includes(`\`${name}\``))).toEqual([]);
  });
});
