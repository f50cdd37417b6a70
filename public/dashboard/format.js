// Small formatting helpers: every state is shown as text (with a class for colour), never colour alone.

export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'class') node.className = value;
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** A state badge: the text says it, the colour helps. */
export function badge(text, tone) {
  return el('span', { class: `badge state-${tone}`, 'data-state': text }, text);
}

export function replaceChildren(id, ...children) {
  document.getElementById(id).replaceChildren(...children.flat());
}

export function facts(id, pairs) {
  replaceChildren(
    id,
    pairs.flatMap(([term, value]) => [el('dt', {}, term), el('dd', {}, value ?? '—')]),
  );
}

export function ago(iso) {
  if (!iso) return '—';
  return `${duration((Date.now() - Date.parse(iso)) / 1000)} ago`;
}

export function duration(seconds) {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return '—';
  const s = Math.max(0, Math.round(seconds));
  if (s < 90) return `${s} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  if (s < 172800) return `${(s / 3600).toFixed(1)} h`;
  return `${(s / 86400).toFixed(1)} d`;
}

export function milliseconds(ms) {
  return ms === null || ms === undefined ? '—' : ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

export function bytes(n) {
  if (n === null || n === undefined) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

export function time(iso) {
  return iso ? new Date(iso).toISOString().replace('T', ' ').slice(0, 19) + ' UTC' : '—';
}
