import { NOTIFICATION_CHANNELS, NOTIFICATION_KINDS, NOTIFICATION_STATUSES } from '../../domain/notification.js';

/** The admin page: HTML whose script (/admin/app.js) polls /admin/api/overview; the session's CSRF token sits in a meta tag. */
export function adminPage(csrfToken: string): string {
  const options = (values: readonly string[]): string => values.map((v) => `<option value="${escapeHtml(v)}">${escapeHtml(v)}</option>`).join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ordermail · admin</title>
<link rel="stylesheet" href="/admin/app.css">
<meta name="csrf-token" content="${escapeHtml(csrfToken)}">
</head>
<body>
<header><h1>ordermail</h1><span class="muted">orders' notifications</span><span id="status">loading…</span><a id="inbox-link" href="/admin/inbox" hidden>inbox</a></header>
<main>
  <div class="counters">
    <div class="counter"><b id="orders-per-minute">–</b><span>orders / min</span></div>
    <div class="counter"><b id="emails-per-minute">–</b><span>emails / min</span></div>
    <div class="counter"><b id="outbox-backlog">–</b><span>outbox backlog</span></div>
    <div class="counter"><b id="outbox-parked">–</b><span>parked events</span></div>
    <div class="counter"><b id="consumer-lag">–</b><span>consumer lag</span></div>
  </div>
  <section>
    <h2>By kind</h2>
    <table><thead><tr><th>kind</th><th>sent / min</th><th>dead</th></tr></thead><tbody id="by-kind"></tbody></table>
  </section>
  <section>
    <h2>Dead letters</h2>
    <table><thead><tr><th>order</th><th>kind</th><th>channel</th><th>attempts</th><th>last error</th><th>failed</th><th></th></tr></thead><tbody id="dead-letters"></tbody></table>
    <div class="empty" id="no-dead-letters">No dead letters.</div>
  </section>
  <section>
    <h2>Recent notifications</h2>
    <form class="filters" id="filters">
      <label>status <select name="status"><option value="">any</option>${options(NOTIFICATION_STATUSES)}</select></label>
      <label>kind <select name="kind"><option value="">any</option>${options(NOTIFICATION_KINDS)}</select></label>
      <label>channel <select name="channel"><option value="">any</option>${options(NOTIFICATION_CHANNELS)}</select></label>
    </form>
    <table><thead><tr><th>order</th><th>order status</th><th>kind</th><th>channel</th><th>status</th><th>attempts</th><th>last error</th><th>sent / next try</th><th>Message-ID</th><th></th></tr></thead><tbody id="notifications"></tbody></table>
    <div class="empty" id="no-notifications">No notifications yet.</div>
  </section>
</main>
<script src="/admin/app.js"></script>
</body>
</html>
`;
}

/** The inbox of the single-process mode (/admin/inbox): newest first, each message's text and its HTML in a sandboxed frame. */
export function inboxPage(messages: readonly { id: number; receivedAt: Date; to: string[]; subject: string; messageId: string; text: string; html?: string }[]): string {
  const items = messages
    .map(
      (m) => `<article>
  <h2>${escapeHtml(m.subject)}</h2>
  <p class="meta">to ${escapeHtml(m.to.join(', '))} · ${escapeHtml(m.receivedAt.toISOString())} · ${escapeHtml(m.messageId)}</p>
  ${m.html ? `<iframe sandbox title="email ${m.id}" srcdoc="${escapeHtml(m.html)}"></iframe>` : `<pre>${escapeHtml(m.text)}</pre>`}
</article>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="3"><title>ordermail · inbox</title>
<link rel="stylesheet" href="/admin/inbox.css"></head>
<body><header><h1>ordermail inbox</h1><span>${messages.length} message(s) received by the embedded SMTP server · <a href="/admin">admin</a></span></header>
<main>${items || '<p>No email yet. POST an order to /orders.</p>'}</main></body></html>`;
}

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/** /admin/inbox.css */
export const INBOX_STYLES = `body{margin:0;font:14px/1.45 system-ui,sans-serif;color:#1f2933;background:#f7f9fb}header{padding:16px 24px;background:#fff;border-bottom:1px solid #e4e7eb}
h1{margin:0;font-size:18px}main{padding:20px 24px;display:grid;gap:16px}article{background:#fff;border:1px solid #e4e7eb;border-radius:8px;padding:12px 16px}
h2{margin:0;font-size:15px}.meta{color:#66788a;font-size:12px;margin:4px 0 8px}iframe{width:100%;height:260px;border:1px solid #e4e7eb;border-radius:6px}
`;

/** /admin/app.css */
export const ADMIN_STYLES = `  :root { --ink: #1f2933; --muted: #66788a; --line: #e4e7eb; --bg: #f7f9fb; --ok: #1f9d55; --warn: #b7791f; --bad: #c53030; --info: #2b6cb0; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 14px/1.45 system-ui, -apple-system, Segoe UI, sans-serif; color: var(--ink); background: var(--bg); }
  header { display: flex; align-items: baseline; gap: 16px; padding: 16px 24px; background: #fff; border-bottom: 1px solid var(--line); }
  header h1 { margin: 0; font-size: 18px; }
  header .muted { color: var(--muted); }
  header a { margin-left: auto; color: var(--info); }
  main { padding: 20px 24px; display: grid; gap: 20px; }
  .counters { display: grid; grid-template-columns: repeat(auto-fit, minmax(140px, 1fr)); gap: 12px; }
  .counter { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px; }
  .counter b { display: block; font-size: 24px; font-variant-numeric: tabular-nums; }
  .counter span { color: var(--muted); }
  section { background: #fff; border: 1px solid var(--line); border-radius: 8px; overflow: hidden; }
  section h2 { margin: 0; padding: 12px 16px; font-size: 15px; border-bottom: 1px solid var(--line); }
  table { width: 100%; border-collapse: collapse; }
  th, td { text-align: left; padding: 8px 16px; border-bottom: 1px solid var(--line); vertical-align: top; }
  th { color: var(--muted); font-weight: 500; font-size: 12px; text-transform: uppercase; letter-spacing: .03em; }
  tr:last-child td { border-bottom: none; }
  td.error { color: var(--bad); max-width: 420px; overflow-wrap: anywhere; }
  .badge { display: inline-block; padding: 1px 8px; border-radius: 999px; font-size: 12px; font-weight: 600; color: #fff; background: var(--muted); }
  .badge.sent { background: var(--ok); } .badge.failed, .badge.sending { background: var(--warn); }
  .badge.dead { background: var(--bad); } .badge.pending { background: var(--info); } .badge.skipped { background: var(--muted); }
  button { font: inherit; padding: 4px 12px; border-radius: 6px; border: 1px solid var(--info); background: #fff; color: var(--info); cursor: pointer; }
  button:hover { background: var(--info); color: #fff; }
  .empty { padding: 16px; color: var(--muted); }
  #status { color: var(--muted); font-size: 12px; }
  .alarm { color: var(--bad); }
  .filters { display: flex; gap: 16px; padding: 8px 16px; border-bottom: 1px solid var(--line); color: var(--muted); }
  .filters select { font: inherit; margin-left: 4px; }
  td.id { font-family: ui-monospace, monospace; font-size: 12px; overflow-wrap: anywhere; max-width: 260px; }
`;

/** /admin/app.js: every value is set as text, never as HTML. */
export const ADMIN_SCRIPT = `const csrfToken = document.querySelector('meta[name="csrf-token"]').content;
const filters = document.getElementById('filters');
const cell = (text, className) => { const td = document.createElement('td'); td.textContent = text ?? ''; if (className) td.className = className; return td; };
const time = (iso) => iso ? new Date(iso).toLocaleTimeString() : '';
const badge = (status) => { const td = document.createElement('td'); const span = document.createElement('span'); span.className = 'badge ' + status; span.textContent = status; td.append(span); return td; };
const failure = (n) => n.lastError ? n.failureKind + ': ' + n.lastError : '';
const when = (n) => n.sentAt ? time(n.sentAt) : n.nextAttemptAt ? 'next ' + time(n.nextAttemptAt) : '';
const channelOf = (n) => n.endpointId ? n.channel + ' ' + n.endpointId : n.channel;

async function replay(n, button) {
  button.disabled = true;
  const path = [n.orderId, n.kind, n.channel].map(encodeURIComponent).join('/');
  const endpoint = n.endpointId ? '?endpoint=' + encodeURIComponent(n.endpointId) : '';
  const response = await fetch('/admin/api/notifications/' + path + '/replay' + endpoint, { method: 'POST', headers: { 'X-CSRF-Token': csrfToken } });
  button.textContent = response.ok ? 'replayed' : 'failed';
  refresh();
}

/** A row of one notification: its key in data attributes, a Replay button when it is dead. */
function row(n, cells, dead) {
  const tr = document.createElement('tr');
  tr.dataset.orderId = n.orderId;
  tr.dataset.kind = n.kind;
  tr.dataset.channel = n.channel;
  if (n.endpointId) tr.dataset.endpointId = n.endpointId;
  const action = document.createElement('td');
  if (dead) {
    const button = document.createElement('button');
    button.textContent = 'Replay';
    button.addEventListener('click', () => replay(n, button));
    action.append(button);
  }
  tr.append(...cells, action);
  return tr;
}

async function refresh() {
  try {
    const query = new URLSearchParams([...new FormData(filters)].filter(([, value]) => value !== ''));
    const response = await fetch('/admin/api/overview?' + query, { cache: 'no-store' });
    if (response.status === 401) throw new Error('the session has ended: open /admin?token=<ADMIN_TOKEN> again');
    if (!response.ok) throw new Error('HTTP ' + response.status);
    const { notifications, deadLetters, activity, inbox } = await response.json();
    document.getElementById('orders-per-minute').textContent = activity.ordersLastMinute;
    document.getElementById('emails-per-minute').textContent = activity.emailsLastMinute;
    document.getElementById('outbox-backlog').textContent = activity.outboxBacklog;
    document.getElementById('outbox-parked').textContent = activity.outboxParked;
    document.getElementById('outbox-parked').classList.toggle('alarm', activity.outboxParked > 0);
    document.getElementById('consumer-lag').textContent = activity.consumerLag ?? '–';
    document.getElementById('inbox-link').hidden = !inbox;
    document.getElementById('by-kind').replaceChildren(...activity.byKind.map((k) => {
      const tr = document.createElement('tr');
      tr.dataset.kind = k.kind;
      tr.append(cell(k.kind), cell(String(k.sentLastMinute)), cell(String(k.dead), k.dead > 0 ? 'error' : undefined));
      return tr;
    }));
    const rows = notifications.map((n) => row(n, [cell(n.orderId), cell(n.orderStatus ?? '—'), cell(n.kind), cell(channelOf(n)), badge(n.status), cell(String(n.attempts)), cell(failure(n), 'error'), cell(when(n)), cell(n.messageId, 'id')], n.status === 'dead'));
    document.getElementById('notifications').replaceChildren(...rows);
    document.getElementById('no-notifications').hidden = rows.length > 0;
    const letters = deadLetters.map((d) => row(d, [cell(d.orderId), cell(d.kind), cell(channelOf(d)), cell(String(d.attempts)), cell(failure(d), 'error'), cell(time(d.failedAt))], true));
    document.getElementById('dead-letters').replaceChildren(...letters);
    document.getElementById('no-dead-letters').hidden = letters.length > 0;
    document.getElementById('status').textContent = 'updated ' + new Date().toLocaleTimeString();
  } catch (error) {
    document.getElementById('status').textContent = 'cannot refresh: ' + error.message;
  }
}
filters.addEventListener('change', refresh);
filters.addEventListener('submit', (event) => event.preventDefault());
refresh();
setInterval(refresh, 2000);
`;
