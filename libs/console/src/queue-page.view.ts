import type { Principal } from './console-auth.service';
import type { QueueFilter, QueueItem, QueuePage } from './case-book';
import { html, type SafeHtml } from './html';
import { badge, formatNumber, formatTime, pageLayout } from './page-layout.view';

/** The two halves of the queue: the drift monitor's investigations apart from the score alerts. */
export interface QueueSections {
  readonly investigations: QueuePage;
  readonly scores: QueuePage;
}

function status(item: QueueItem): SafeHtml {
  const s = item.state;
  if (s.status === 'CLAIMED') return html`${badge('CLAIMED')} <span class="muted">${s.claimedBy}</span>`;
  if (s.status === 'CLOSED')
    return html`${badge(s.verdict ?? 'CLOSED')} <span class="muted">${s.decidedBy ?? ''}</span>`;
  return html`${badge(s.status)}${s.escalated && s.status !== 'ESCALATED' ? badge('ESCALATED') : null}`;
}

function row(item: QueueItem): SafeHtml {
  const a = item.alert;
  const href = `/cases/${encodeURIComponent(a.alert_id)}`;
  return html`<tr data-alert-id="${a.alert_id}" data-kind="${a.kind}">
    <td>${formatTime(item.raisedAt)}</td>
    <td>${badge(a.severity)}</td>
    <td class="num">
      <a href="${href}" class="open-case">${formatNumber(a.score)}</a>
      <span class="muted">/ ${formatNumber(a.threshold)}</span>
    </td>
    <td>${a.model_version}</td>
    <td><a href="/?card=${encodeURIComponent(a.card_id)}">${a.card_id}</a></td>
    <td class="num">${formatNumber(a.amount, 2)}</td>
    <td class="reasons">
      ${a.kind === 'INVESTIGATE' && a.note ? html`<div class="note">${a.note}</div>` : null}${a.reasons
        .slice(0, 3)
        .map(
          (r) =>
            html`<span class="reason"
              >${r.feature} <span class="muted">+${formatNumber(r.contribution, 2)}</span></span
            >`,
        )}
    </td>
    <td>${status(item)}</td>
    <td><a href="${href}" class="button">Open</a></td>
  </tr>`;
}

/** The rows of one section (also sent by the live stream, so the page and the stream render alike). */
export function renderQueueRows(page: QueuePage): SafeHtml {
  if (page.items.length === 0)
    return html`<tr class="empty">
      <td colspan="9">No alerts match.</td>
    </tr>`;
  return html`${page.items.map(row)}`;
}

function table(id: string, title: string, page: QueuePage, hint: string): SafeHtml {
  return html`<section class="card">
    <h2>${title} <span class="count" data-count="${id}">${page.matching}</span></h2>
    <p class="muted">${hint}</p>
    <table class="queue" id="${id}">
      <thead>
        <tr>
          <th>raised (event time)</th>
          <th>severity</th>
          <th>score / threshold</th>
          <th>model</th>
          <th>card</th>
          <th>amount</th>
          <th>top reasons</th>
          <th>case</th>
          <th></th>
        </tr>
      </thead>
      <tbody>
        ${renderQueueRows(page)}
      </tbody>
    </table>
  </section>`;
}

function option(value: string, current: string | undefined, label = value): SafeHtml {
  return html`<option value="${value}" ${value === (current ?? '') ? html` selected` : null}>
    ${label}
  </option>`;
}

/** The alert queue: filters, the open investigations and score alerts, kept live by the stream. */
export function renderQueuePage(
  principal: Principal,
  filter: QueueFilter,
  sections: QueueSections,
  streamUrl: string,
): string {
  const showInvestigations = filter.kind !== 'SCORE';
  const showScores = filter.kind !== 'INVESTIGATE';
  const open = sections.scores.open;
  return pageLayout({
    title: 'Alert queue',
    page: 'queue',
    principal,
    body: html`<div class="page-head">
        <h1>Alert queue</h1>
        <p class="muted">
          Open: <strong data-open="SCORE">${open.SCORE}</strong> score alerts,
          <strong data-open="INVESTIGATE">${open.INVESTIGATE}</strong> investigations ·
          <span id="live" class="live">connecting…</span>
        </p>
      </div>
      <form class="filters" method="get" action="/">
        <label
          >Severity
          <select name="severity">
            ${option('', filter.severity, 'any')}${['CRITICAL', 'HIGH', 'MEDIUM', 'LOW'].map((s) => option(s, filter.severity))}
          </select></label
        >
        <label
          >Kind
          <select name="kind">
            ${option('', filter.kind, 'any')}${option('SCORE', filter.kind, 'score alert')}${option('INVESTIGATE', filter.kind, 'investigation')}
          </select></label
        >
        <label>Model <input name="model" value="${filter.model ?? ''}" size="8" placeholder="any" /></label>
        <label>Card <input name="card" value="${filter.card ?? ''}" size="12" placeholder="any" /></label>
        <label
          >Cases
          <select name="status">
            ${option('open', filter.status)}${option('closed', filter.status)}${option('all', filter.status)}
          </select></label
        >
        <label
          >Order
          <select name="sort">
            ${option('newest', filter.sort, 'newest first')}${option('score', filter.sort, 'highest score first')}
          </select></label
        >
        <button type="submit">Apply</button> <a href="/">Reset</a>
      </form>
      <div data-live="${streamUrl}">
        ${showInvestigations ? table('investigations', 'Investigations', sections.investigations, 'Transactions the model did not alert on that the drift monitor asks you to look at: they resemble confirmed frauds the model missed.') : null}
        ${showScores ? table('scores', 'Score alerts', sections.scores, 'Scored at or above the serving model\u2019s threshold.') : null}
      </div>`,
  });
}
