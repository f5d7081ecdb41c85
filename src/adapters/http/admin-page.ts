import { LOCALE_RULES } from '../../domain/locale.js';
import { NOTIFICATION_CHANNELS, NOTIFICATION_KINDS, NOTIFICATION_STATUSES } from '../../domain/notification.js';
import { WEBHOOK_DESCRIPTION_MAX_LENGTH, WEBHOOK_EVENT_TYPE_LIST, WEBHOOK_URL_MAX_LENGTH } from '../../domain/webhook-endpoint.js';

/** What the page offers beyond the notifications. */
export interface AdminPageSections {
  /** The Webhooks section: the endpoints, and the forms that change them. */
  readonly webhooks: boolean;
  /** Its one-click registration of the local receiver (development, WEBHOOK_ALLOW_INSECURE=true). */
  readonly localReceiver: boolean;
  /** The Email preview section: each kind's email for a sample order, in a language of choice. */
  readonly preview?: boolean;
}

/** The admin page: HTML whose script (/admin/app.js) polls /admin/api/overview; the session's CSRF token sits in a meta tag. */
export function adminPage(csrfToken: string, sections: AdminPageSections = { webhooks: false, localReceiver: false }): string {
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
    <div class="counter"><b id="webhooks-per-minute">–</b><span>webhooks / min</span></div>
    <div class="counter"><b id="outbox-backlog">–</b><span>outbox backlog</span></div>
    <div class="counter"><b id="outbox-parked">–</b><span>parked events</span></div>
    <div class="counter"><b id="consumer-lag">–</b><span>consumer lag</span></div>
  </div>
  <section>
    <h2>By kind</h2>
    <div class="rows"><table><thead><tr><th>kind</th><th>sent / min</th><th>dead</th></tr></thead><tbody id="by-kind"></tbody></table></div>
  </section>
  <section>
    <h2>Dead letters</h2>
    <div class="rows"><table><thead><tr><th>order</th><th>kind</th><th>channel</th><th>attempts</th><th>last error</th><th>failed</th><th></th></tr></thead><tbody id="dead-letters"></tbody></table></div>
    <div class="empty" id="no-dead-letters">No dead letters.</div>
  </section>
  <section>
    <h2>Recent notifications</h2>
    <form class="filters" id="filters">
      <label>status <select name="status"><option value="">any</option>${options(NOTIFICATION_STATUSES)}</select></label>
      <label>kind <select name="kind"><option value="">any</option>${options(NOTIFICATION_KINDS)}</select></label>
      <label>channel <select name="channel"><option value="">any</option>${options(NOTIFICATION_CHANNELS)}</select></label>
    </form>
    <div class="rows"><table><thead><tr><th>order</th><th>order status</th><th>kind</th><th>channel</th><th>status</th><th>attempts</th><th>last error</th><th>sent / next try</th><th>via</th><th>Message-ID</th><th></th></tr></thead><tbody id="notifications"></tbody></table></div>
    <div class="empty" id="no-notifications">No notifications yet.</div>
  </section>
${sections.preview ? previewSection(options(NOTIFICATION_KINDS)) : ''}${sections.webhooks ? webhooksSection(sections.localReceiver) : ''}</main>
<script src="/admin/app.js"></script>
</body>
</html>
`;
}

/** The Webhooks section: filled and driven by /admin/app.js through /admin/api/webhooks. A secret appears once, in #webhook-secret. */
function webhooksSection(localReceiver: boolean): string {
  const checkboxes = WEBHOOK_EVENT_TYPE_LIST.map((type) => `<label><input type="checkbox" name="events" value="${escapeHtml(type)}" checked> ${escapeHtml(type)}</label>`).join('');
  return `  <section id="webhooks">
    <h2>Webhooks</h2>
    <div class="secret" id="webhook-secret" hidden>
      <p><b id="webhook-secret-title">Signing secret</b> <span id="webhook-secret-note"></span></p>
      <code id="webhook-secret-value"></code>
      <p class="muted">Copy it now: it is not shown again.</p>
      <button type="button" id="webhook-secret-done">Done</button>
    </div>
    <p id="webhook-message" class="message" hidden></p>
    <div class="rows"><table><thead><tr><th>url</th><th>events</th><th>status</th><th>created</th><th>previous secret</th><th></th></tr></thead><tbody id="webhook-endpoints"></tbody></table></div>
    <div class="empty" id="no-webhook-endpoints">No webhook endpoints.</div>
    <form class="webhook-form" id="webhook-form">
      <p class="form-error" id="webhook-form-error" role="alert" hidden></p>
      <label>url <input type="url" name="url" required maxlength="${WEBHOOK_URL_MAX_LENGTH}" placeholder="https://shop.example.com/webhooks"></label>
      <label>description <input type="text" name="description" maxlength="${WEBHOOK_DESCRIPTION_MAX_LENGTH}" placeholder="optional"></label>
      <fieldset><legend>events</legend>${checkboxes}</fieldset>
      <button type="submit">Register</button>
${localReceiver ? '      <button type="button" id="local-receiver">Register the local receiver (npm run receiver)</button>\n' : ''}    </form>
  </section>
`;
}

/** The Email preview section, driven by /admin/app.js: /admin/api/preview/{kind} for the words, /admin/preview/{kind} in a sandboxed frame for the HTML. */
function previewSection(kindOptions: string): string {
  return `  <section id="preview">
    <h2>Email preview</h2>
    <form class="preview-form" id="preview-form">
      <label>kind <select name="kind">${kindOptions}</select></label>
      <label>language <input type="text" name="lang" maxlength="${LOCALE_RULES.maxLength}" placeholder="default, or de-DE…"></label>
      <button type="submit">Preview</button>
      <span class="muted">a sample order, rendered by the templates the notifier uses</span>
    </form>
    <p id="preview-message" class="message" hidden></p>
    <div class="preview" id="preview-result" hidden>
      <p><b id="preview-subject"></b> <span class="muted" id="preview-language"></span></p>
      <iframe sandbox title="the email's HTML" id="preview-frame"></iframe>
      <pre id="preview-text"></pre>
    </div>
  </section>
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
  .rows { overflow-x: auto; }
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
  td.actions { white-space: nowrap; }
  td.actions button + button { margin-left: 6px; }
  td.url { min-width: 18em; max-width: 32em; overflow-wrap: anywhere; } td.url code { font-size: 12px; } td.url .muted { margin-top: 2px; }
  .badge.enabled { background: var(--ok); } .badge.disabled { background: var(--muted); }
  .webhook-form { display: flex; flex-wrap: wrap; align-items: center; gap: 12px 16px; padding: 12px 16px; border-top: 1px solid var(--line); }
  .webhook-form input[type=url] { width: 340px; } .webhook-form input { font: inherit; margin-left: 4px; }
  .webhook-form fieldset { border: none; padding: 0; margin: 0; display: flex; gap: 12px; } .webhook-form legend { float: left; margin-right: 8px; color: var(--muted); }
  .secret { margin: 12px 16px; padding: 12px 16px; border: 1px solid var(--warn); border-radius: 8px; background: #fffaf0; }
  .secret p { margin: 0 0 8px; } .secret code { display: block; margin-bottom: 8px; font-size: 13px; overflow-wrap: anywhere; user-select: all; }
  .muted { color: var(--muted); }
  .message { margin: 12px 16px; } .message.error { color: var(--bad); }
  .message, .secret { scroll-margin: 16px; }
  .webhook-form .form-error { flex-basis: 100%; margin: 0; color: var(--bad); } .webhook-form [aria-invalid=true] { outline: 2px solid var(--bad); outline-offset: 2px; }
  .preview-form { display: flex; flex-wrap: wrap; align-items: center; gap: 12px 16px; padding: 12px 16px; }
  .preview-form select, .preview-form input { font: inherit; margin-left: 4px; }
  .preview { padding: 0 16px 16px; } .preview p { margin: 0 0 8px; }
  .preview iframe { width: 100%; height: 560px; border: 1px solid var(--line); border-radius: 6px; background: #fff; }
  .preview pre { margin: 12px 0 0; padding: 12px; border: 1px solid var(--line); border-radius: 6px; background: var(--bg); white-space: pre-wrap; overflow-wrap: anywhere; }
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
    document.getElementById('webhooks-per-minute').textContent = activity.webhooksLastMinute;
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
    const rows = notifications.map((n) => row(n, [cell(n.orderId), cell(n.orderStatus ?? '—'), cell(n.kind), cell(channelOf(n)), badge(n.status), cell(String(n.attempts)), cell(failure(n), 'error'), cell(when(n)), cell(n.provider), cell(n.messageId, 'id')], n.status === 'dead'));
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

/**
 * The Webhooks section, when the page has one: each action calls /admin/api/webhooks, then lists the endpoints again.
 * What an action says, and a new secret, are scrolled into view: the list between them and the form or a row's buttons may be long.
 */
function setUpWebhooks() {
  const form = document.getElementById('webhook-form');
  const formError = document.getElementById('webhook-form-error');
  const message = document.getElementById('webhook-message');
  const secretBox = document.getElementById('webhook-secret');
  const say = (text, isError) => {
    message.textContent = text;
    message.hidden = !text;
    message.classList.toggle('error', Boolean(isError));
    if (text) message.scrollIntoView({ block: 'nearest' });
  };
  const showSecret = (title, secret, note) => {
    document.getElementById('webhook-secret-title').textContent = title;
    document.getElementById('webhook-secret-value').textContent = secret;
    document.getElementById('webhook-secret-note').textContent = note ?? '';
    secretBox.hidden = false;
    secretBox.scrollIntoView({ block: 'nearest' });
  };
  // The form's fields by the names the API's error details give them.
  const formFields = { url: form.elements.url, description: form.elements.description, events: form.querySelector('fieldset') };
  /** A refused registration, said in the form, each field it names marked (none when it succeeded). */
  const formProblem = (error) => {
    formError.textContent = error ? error.message : '';
    formError.hidden = !error;
    const named = new Set((error?.fields ?? []).map((field) => field.split('[')[0]));
    for (const [name, field] of Object.entries(formFields)) {
      if (named.has(name)) field.setAttribute('aria-invalid', 'true');
      else field.removeAttribute('aria-invalid');
    }
  };
  const hideSecret = () => { document.getElementById('webhook-secret-value').textContent = ''; secretBox.hidden = true; };
  const problem = (body) => body?.error?.details ? body.error.details.map((d) => d.field + ' ' + d.message).join('; ') : body?.error?.message ?? 'failed';

  async function call(method, path, body) {
    const headers = { 'X-CSRF-Token': csrfToken };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch('/admin/api/webhooks' + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store' });
    if (response.status === 401) throw new Error('the session has ended: open /admin?token=<ADMIN_TOKEN> again');
    // A proxy in front may answer in HTML (a 502 while the server restarts): say so, not what JSON.parse thinks of it.
    const answer = response.status === 204 ? {} : await response.json().catch(() => undefined);
    if (answer === undefined) throw new Error('HTTP ' + response.status + ': not an answer of the admin API');
    if (!response.ok) throw Object.assign(new Error(problem(answer)), { fields: (answer?.error?.details ?? []).map((d) => String(d.field)) });
    return answer;
  }

  /** Runs an action for a button: the button is off meanwhile, a failure is reported, the list follows. */
  async function act(button, action, report = (error) => say(error.message, true)) {
    button.disabled = true;
    try {
      await action();
    } catch (error) {
      report(error);
    } finally {
      button.disabled = false;
      load();
    }
  }

  const button = (label, onClick) => { const b = document.createElement('button'); b.type = 'button'; b.textContent = label; b.addEventListener('click', () => act(b, onClick)); return b; };
  const path = (e) => '/' + encodeURIComponent(e.id);

  function row(e) {
    const tr = document.createElement('tr');
    tr.dataset.endpointId = e.id;
    const url = document.createElement('td');
    url.className = 'url';
    const address = document.createElement('code');
    address.textContent = e.url;
    url.append(address);
    if (e.description) { const about = document.createElement('div'); about.className = 'muted'; about.textContent = e.description; url.append(about); }
    const actions = document.createElement('td');
    actions.className = 'actions';
    actions.append(
      button(e.enabled ? 'Disable' : 'Enable', async () => {
        await call('POST', path(e) + (e.enabled ? '/disable' : '/enable'));
        say(e.url + (e.enabled ? ' is disabled: it receives nothing.' : ' is enabled.'));
      }),
      button('Rotate secret', async () => {
        const { secret, previousSecretExpiresAt } = await call('POST', path(e) + '/rotate-secret');
        say('');
        showSecret('New signing secret of ' + e.url, secret, '(the previous one still signs until ' + new Date(previousSecretExpiresAt).toLocaleString() + ')');
      }),
      button('Delete', async () => {
        if (!window.confirm('Delete the webhook endpoint ' + e.url + '? It receives nothing more, and this cannot be undone.')) return;
        await call('DELETE', path(e));
        say(e.url + ' is deleted.');
      }),
    );
    const previous = e.previousSecretExpiresAt ? 'signs until ' + new Date(e.previousSecretExpiresAt).toLocaleString() : '—';
    tr.append(url, cell(e.events.join(', ')), badge(e.enabled ? 'enabled' : 'disabled'), cell(new Date(e.createdAt).toLocaleString()), cell(previous), actions);
    return tr;
  }

  async function load() {
    try {
      const { endpoints } = await call('GET', '');
      document.getElementById('webhook-endpoints').replaceChildren(...endpoints.map(row));
      document.getElementById('no-webhook-endpoints').hidden = endpoints.length > 0;
    } catch (error) {
      say('cannot list the webhook endpoints: ' + error.message, true);
    }
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const fields = new FormData(form);
    const description = String(fields.get('description') ?? '').trim();
    const registration = { url: String(fields.get('url') ?? ''), events: fields.getAll('events'), ...(description ? { description } : {}) };
    act(form.querySelector('button[type=submit]'), async () => {
      const { endpoint, secret } = await call('POST', '', registration);
      form.reset();
      formProblem(undefined);
      say('');
      showSecret('Signing secret of ' + endpoint.url, secret, '(' + endpoint.id + ')');
    }, formProblem);
  });
  const localReceiver = document.getElementById('local-receiver');
  if (localReceiver) localReceiver.addEventListener('click', () => act(localReceiver, async () => {
    const { endpoint, secret, receiverTookSecret, message: said } = await call('POST', '/local-receiver');
    say(said, !receiverTookSecret);
    showSecret('Signing secret of the local receiver ' + endpoint.url, secret, receiverTookSecret ? '(handed to the receiver)' : '');
  }));
  document.getElementById('webhook-secret-done').addEventListener('click', hideSecret);
  load();
}
if (document.getElementById('webhooks')) setUpWebhooks();

/** The Email preview section: the subject and text from /admin/api/preview/{kind}, the HTML framed from /admin/preview/{kind}. */
function setUpPreview() {
  const form = document.getElementById('preview-form');
  const message = document.getElementById('preview-message');
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const fields = new FormData(form);
    const lang = String(fields.get('lang') ?? '').trim();
    const path = encodeURIComponent(String(fields.get('kind'))) + (lang ? '?lang=' + encodeURIComponent(lang) : '');
    try {
      const response = await fetch('/admin/api/preview/' + path, { cache: 'no-store' });
      if (response.status === 401) throw new Error('the session has ended: open /admin?token=<ADMIN_TOKEN> again');
      const answer = await response.json();
      if (!response.ok) throw new Error(answer?.error?.details ? answer.error.details.map((d) => d.field + ' ' + d.message).join('; ') : answer?.error?.message ?? 'HTTP ' + response.status);
      message.hidden = true;
      document.getElementById('preview-subject').textContent = answer.subject;
      document.getElementById('preview-language').textContent = 'written in ' + answer.language + (answer.locale ? ' for ' + answer.locale : ' (the default language)');
      document.getElementById('preview-text').textContent = answer.text;
      document.getElementById('preview-frame').src = '/admin/preview/' + path;
      document.getElementById('preview-result').hidden = false;
    } catch (error) {
      message.textContent = 'cannot preview: ' + error.message;
      message.classList.add('error');
      message.hidden = false;
    }
  });
}
if (document.getElementById('preview')) setUpPreview();
`;
