import { ago, badge, el, replaceChildren } from './format.js';

const STATUS_TONE = { delivered: 'good', pending: 'info', failed: 'bad', disabled: 'warn' };

/** The webhook endpoints (disabled ones stand out) and the newest deliveries. */
export function renderNotifications(log) {
  if (!log) {
    replaceChildren('endpoints', el('li', {}, 'Webhooks are not configured on this server.'));
    replaceChildren('deliveries');
    return;
  }
  replaceChildren(
    'endpoints',
    (log.endpoints ?? []).map((endpoint) =>
      el(
        'li',
        { 'data-endpoint': endpoint.url },
        badge(
          endpoint.enabled === false || endpoint.disabled ? 'disabled' : 'enabled',
          endpoint.enabled === false || endpoint.disabled ? 'warn' : 'good',
        ),
        ` ${endpoint.url}`,
        endpoint.disabledReason ? ` (${endpoint.disabledReason})` : '',
      ),
    ),
  );
  replaceChildren(
    'deliveries',
    (log.items ?? log.deliveries ?? [])
      .slice(0, 30)
      .map((delivery) =>
        el(
          'tr',
          { 'data-delivery': delivery.id, 'data-status': delivery.status },
          el('td', {}, delivery.eventType ?? delivery.type ?? delivery.event ?? '—', ' ', ago(delivery.createdAt)),
          el('td', {}, delivery.url ?? delivery.endpoint ?? '—'),
          el('td', {}, badge(delivery.status, STATUS_TONE[delivery.status] ?? 'unknown')),
          el('td', {}, String(delivery.attempts ?? 0)),
          el(
            'td',
            {},
            [delivery.responseStatus ? `HTTP ${delivery.responseStatus}` : null, delivery.lastError]
              .filter(Boolean)
              .join(': ') || '—',
          ),
        ),
      ),
  );
}
