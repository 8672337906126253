/*
 * The console's stylesheet and its one small script, served by the console itself (/assets/...), so
 * the pages need nothing from a CDN and the Content-Security-Policy allows only the console's origin.
 * The pages work as server-rendered HTML; the script adds sign-in, the actions (JSON requests with
 * the session's CSRF token) and the live queue (server-sent events carrying rendered rows).
 */

export const CONSOLE_CSS = `
:root { --fg:#1f2328; --muted:#6b7280; --line:#e5e7eb; --bg:#f6f7f9; --card:#fff; --accent:#1d4ed8; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color:var(--fg); background:var(--bg); }
header.top { display:flex; align-items:center; gap:24px; padding:10px 24px; background:#111827; color:#fff; }
header.top a { color:#d1d5db; text-decoration:none; margin-right:16px; }
header.top a.active, header.top a:hover { color:#fff; }
header.top .brand { font-weight:700; color:#fff; letter-spacing:.02em; }
header.top nav { flex:1; }
header.top .who { display:flex; gap:8px; align-items:center; }
main { padding:16px 24px 48px; max-width:1500px; }
h1 { font-size:22px; margin:8px 0 4px; } h2 { font-size:16px; margin:0 0 8px; } h3, h4 { font-size:14px; margin:12px 0 6px; }
.page-head p { margin:4px 0 12px; }
.card { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:14px 16px; margin:0 0 16px; }
.card.narrow { max-width:380px; margin:48px auto; }
.grid { display:grid; grid-template-columns:repeat(auto-fit, minmax(320px, 1fr)); gap:16px; }
.grid > .card { margin:0; min-width:0; }
.grid > .card.wide { grid-column:span 2; }
@media (max-width: 720px) { .grid > .card.wide { grid-column:auto; } .grid > .card { overflow-x:auto; } }
.charts { display:flex; flex-wrap:wrap; gap:16px; } figure { margin:0; }
table { border-collapse:collapse; width:100%; }
th, td { text-align:left; padding:6px 8px; border-bottom:1px solid var(--line); vertical-align:top; }
th { font-weight:600; color:#374151; font-size:12px; background:#fafafa; }
td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; }
table.compact td, table.compact th { padding:3px 6px; font-size:12px; }
tr.current { background:#fff7ed; }
tr.details td { background:#fcfcfd; }
.muted { color:var(--muted); }
.big { font-size:28px; font-weight:600; margin:4px 0; }
.badge { display:inline-block; padding:1px 7px; border-radius:10px; font-size:11px; font-weight:600; background:#e5e7eb; color:#374151; margin-right:3px; }
.badge-critical, .badge-fraud, .badge-alert, .badge-rejected, .badge-performance-drift { background:#fee2e2; color:#991b1b; }
.badge-high, .badge-label-drift, .badge-retrain { background:#ffedd5; color:#9a3412; }
.badge-medium, .badge-claimed, .badge-shadow, .badge-prediction-drift, .badge-covariate-drift { background:#fef9c3; color:#854d0e; }
.badge-low, .badge-open, .badge-candidate { background:#e0e7ff; color:#3730a3; }
.badge-legitimate, .badge-production, .badge-no-drift { background:#dcfce7; color:#166534; }
.badge-investigate, .badge-escalated, .badge-trigger { background:#ede9fe; color:#5b21b6; }
.badge-role { background:#374151; color:#e5e7eb; }
.reason { display:inline-block; margin-right:8px; white-space:nowrap; }
.note { font-size:12px; color:#5b21b6; }
.count { font-size:12px; color:var(--muted); font-weight:400; }
.filters { display:flex; flex-wrap:wrap; gap:12px; align-items:end; margin:0 0 16px; }
.filters label { display:flex; flex-direction:column; font-size:12px; color:#374151; gap:2px; }
input, select, textarea { font:inherit; padding:5px 7px; border:1px solid #cbd5e1; border-radius:6px; background:#fff; }
textarea { width:100%; }
form#sign-in label { display:flex; flex-direction:column; gap:4px; margin-bottom:12px; }
button, a.button { font:inherit; padding:6px 12px; border-radius:6px; border:1px solid #cbd5e1; background:#fff; cursor:pointer; color:var(--fg); text-decoration:none; display:inline-block; }
button:disabled { opacity:.5; cursor:not-allowed; }
button.primary, a.button.primary { background:var(--accent); color:#fff; border-color:var(--accent); }
p.error { background:#fee2e2; color:#991b1b; padding:8px 12px; border-radius:6px; }
button.danger { background:#b91c1c; color:#fff; border-color:#b91c1c; }
button.ok { background:#15803d; color:#fff; border-color:#15803d; }
button.link { background:none; border:none; color:#d1d5db; padding:0 4px; }
.actions .verdicts { display:flex; gap:8px; margin-top:8px; }
.actions .claim { margin-bottom:10px; display:flex; gap:8px; align-items:center; }
.operator { display:flex; gap:16px; align-items:end; flex-wrap:wrap; }
.operator label { display:flex; flex-direction:column; font-size:12px; gap:2px; }
dl.facts { display:grid; grid-template-columns:max-content 1fr; gap:3px 12px; margin:0; }
dl.facts dt { color:var(--muted); }
dl.facts dd { margin:0; }
ol.history { padding-left:18px; margin:4px 0; }
#flash { position:sticky; top:0; z-index:2; margin:0; padding:10px 24px; font-weight:600; }
#flash.error { background:#fee2e2; color:#991b1b; } #flash.info { background:#dcfce7; color:#166534; }
.live { font-size:12px; } .live.on { color:#15803d; } .live.off { color:#b91c1c; }
code { font-size:12px; }
td.actor { white-space:nowrap; }
`;

export const CONSOLE_SCRIPT = `'use strict';
(function () {
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrf = csrfMeta ? csrfMeta.getAttribute('content') : '';

  function flash(text, kind) {
    var el = document.getElementById('flash');
    if (!el) return;
    el.textContent = text;
    el.className = kind || 'info';
    el.hidden = false;
  }

  function send(method, url, body) {
    return fetch(url, {
      method: method,
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
      body: body === undefined ? undefined : JSON.stringify(body),
    }).then(function (response) {
      return response.text().then(function (text) {
        var data = {};
        try { data = text ? JSON.parse(text) : {}; } catch (e) { data = { message: text }; }
        if (!response.ok) {
          var error = new Error(data.message || response.status + ' ' + response.statusText);
          error.status = response.status;
          error.code = data.error;
          throw error;
        }
        return data;
      });
    });
  }

  function disableAll(root, disabled) {
    Array.prototype.forEach.call(root.querySelectorAll('button, textarea'), function (el) { el.disabled = disabled; });
  }

  var signIn = document.getElementById('sign-in');
  if (signIn) {
    signIn.addEventListener('submit', function (event) {
      event.preventDefault();
      var form = new FormData(signIn);
      disableAll(signIn, true);
      send('POST', '/api/session', { username: form.get('username'), password: form.get('password') })
        .then(function () { window.location.assign(signIn.getAttribute('data-next') || '/'); })
        .catch(function (error) { disableAll(signIn, false); flash(error.message, 'error'); });
    });
  }

  document.addEventListener('click', function (event) {
    var target = event.target.closest ? event.target.closest('[data-action]') : null;
    if (!target) return;
    var action = target.getAttribute('data-action');
    if (action === 'sign-out') {
      send('POST', '/api/session/sign-out', {}).finally(function () { window.location.assign('/login'); });
      return;
    }
    var box = target.closest('[data-alert-id]');
    if (box && (action === 'verdict' || action === 'claim' || action === 'release')) {
      var id = encodeURIComponent(box.getAttribute('data-alert-id'));
      var comment = (document.getElementById('comment') || { value: '' }).value;
      var request = action === 'verdict'
        ? send('POST', '/api/cases/' + id + '/verdict', { verdict: target.getAttribute('data-verdict'), comment: comment })
        : send('POST', '/api/cases/' + id + '/' + action, { comment: comment });
      // One click, one request: the buttons stay disabled until the answer (the server refuses a second one anyway).
      disableAll(box, true);
      request.then(function (result) {
        flash(result.message || 'recorded', 'info');
        setTimeout(function () { window.location.reload(); }, result.status === 'pending' ? 1500 : 300);
      }).catch(function (error) {
        flash(error.message, 'error');
        if (error.code !== 'case_closed') disableAll(box, false);
      });
      return;
    }
    if (action === 'promote' || action === 'approve' || action === 'refuse' || action === 'rollback') {
      var reasonInput = document.getElementById('operator-reason');
      var reason = reasonInput && reasonInput.value ? { reason: reasonInput.value } : {};
      var url = action === 'rollback'
        ? '/api/models/rollback'
        : '/api/models/' + encodeURIComponent(target.getAttribute('data-version')) + '/' + action;
      target.disabled = true;
      send('POST', url, reason).then(function (result) {
        flash(result.message || 'done', 'info');
        setTimeout(function () { window.location.reload(); }, 600);
      }).catch(function (error) { target.disabled = false; flash(error.message, 'error'); });
    }
  });

  var live = document.querySelector('[data-live]');
  if (live && window.EventSource) {
    var status = document.getElementById('live');
    var source = new EventSource(live.getAttribute('data-live'));
    source.addEventListener('open', function () { if (status) { status.textContent = 'live'; status.className = 'live on'; } });
    source.addEventListener('error', function () { if (status) { status.textContent = 'reconnecting…'; status.className = 'live off'; } });
    source.addEventListener('queue', function (event) {
      var data = JSON.parse(event.data);
      ['investigations', 'scores'].forEach(function (section) {
        var table = document.getElementById(section);
        if (table && data[section]) {
          table.tBodies[0].innerHTML = data[section].rows;
          var count = document.querySelector('[data-count="' + section + '"]');
          if (count) count.textContent = data[section].matching;
        }
      });
      ['SCORE', 'INVESTIGATE'].forEach(function (kind) {
        var el = document.querySelector('[data-open="' + kind + '"]');
        if (el) el.textContent = data.open[kind];
      });
    });
  }
})();
`;
