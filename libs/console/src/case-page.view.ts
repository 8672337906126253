import { CONTRACT_LIMITS, type Alert, type Label } from '@fraudstream/contracts';
import type { CardScore, CaseState, TerminalFraudRate } from './case-book';
import type { Principal } from './console-auth.service';
import { html, type SafeHtml } from './html';
import { badge, formatNumber, formatTime, pageLayout } from './page-layout.view';
import { lineChartSvg } from './svg-charts';

/** Everything the case page shows. */
export interface CaseView {
  readonly alert: Alert;
  readonly raisedAt: number;
  readonly state: CaseState;
  readonly cardHistory: readonly CardScore[];
  readonly terminal: TerminalFraudRate;
  readonly labels: readonly Label[];
}

function reasonBar(contribution: number, max: number): SafeHtml {
  const width = max > 0 ? Math.max(2, Math.round((Math.max(0, contribution) / max) * 160)) : 2;
  return html`<svg width="164" height="10" aria-hidden="true">
    <rect width="${width}" height="10" fill="#c2410c" />
  </svg>`;
}

function stateLine(state: CaseState): SafeHtml {
  switch (state.status) {
    case 'CLOSED':
      return html`${badge(state.verdict ?? 'CLOSED')} by <strong>${state.decidedBy ?? 'unknown'}</strong> at
        ${formatTime(state.decidedEventTime)} (event time)`;
    case 'CLAIMED':
      return html`${badge('CLAIMED')} by <strong>${state.claimedBy}</strong> until
        ${formatTime(state.claimedUntil)} UTC`;
    case 'ESCALATED':
      return html`${badge('ESCALATED')} waiting for a second opinion`;
    case 'OPEN':
      return html`${badge('OPEN')}${state.escalated ? badge('ESCALATED') : null} nobody works it`;
  }
}

function actions(view: CaseView, principal: Principal, canWork: boolean): SafeHtml {
  const s = view.state;
  if (s.status === 'CLOSED')
    return html`<p class="muted">This case is closed; its label is on fraud.labels.v1.</p>`;
  if (!canWork)
    return html`<p class="muted">
      Your role (${principal.roles.join(', ')}) may read cases, not work them.
    </p>`;
  const mine = s.claimedBy === principal.user;
  const others = s.claimedBy !== null && !mine;
  const id = view.alert.alert_id;
  return html`<div class="actions" data-alert-id="${id}">
    <div class="claim">
      ${mine ? html`<button type="button" data-action="release">Release</button>` : html`<button type="button" data-action="claim" ${others ? html` disabled` : null}>Claim this card</button>`}
      ${others ? html`<span class="muted">claimed by ${s.claimedBy}</span>` : null}
    </div>
    <label for="comment">Comment</label>
    <textarea
      id="comment"
      name="comment"
      rows="3"
      maxlength="${CONTRACT_LIMITS.commentLength}"
      placeholder="What you checked, what you found"
      ${others ? html` disabled` : null}
    ></textarea>
    <div class="verdicts">
      <button
        type="button"
        class="danger"
        data-action="verdict"
        data-verdict="FRAUD"
        ${others ? html` disabled` : null}
      >
        Fraud
      </button>
      <button
        type="button"
        class="ok"
        data-action="verdict"
        data-verdict="LEGITIMATE"
        ${others ? html` disabled` : null}
      >
        Legitimate
      </button>
      <button type="button" data-action="verdict" data-verdict="ESCALATE" ${others ? html` disabled` : null}>
        Escalate
      </button>
    </div>
  </div>`;
}

/** The case: the alert and its reasons, the card's recent scores, the terminal's fraud rate, the verdict. */
export function renderCasePage(principal: Principal, view: CaseView, canWork: boolean): string {
  const a = view.alert;
  const maxContribution = Math.max(0, ...a.reasons.map((r) => r.contribution));
  const history = [...view.cardHistory].reverse();
  const chart =
    history.length > 1
      ? lineChartSvg({
          width: 520,
          height: 190,
          title: `Card ${a.card_id}: champion scores`,
          xLabels: history.map((h) => formatTime(h.eventTime).slice(5, 10)),
          series: [
            { name: 'score', color: '#1d4ed8', values: history.map((h) => h.score) },
            { name: 'threshold', color: '#9ca3af', values: history.map((h) => h.threshold), dashed: true },
          ],
        })
      : null;
  return pageLayout({
    title: `Case ${a.alert_id}`,
    page: 'case',
    principal,
    body: html`<div class="page-head">
        <h1>Case <code>${a.alert_id}</code></h1>
        <p>
          ${badge(a.kind === 'INVESTIGATE' ? 'INVESTIGATE' : 'SCORE ALERT', a.kind)} ${badge(a.severity)}
          <span data-testid="case-status">${stateLine(view.state)}</span>
        </p>
      </div>
      <div class="grid">
        <section class="card">
          <h2>Transaction</h2>
          <dl class="facts">
            <dt>transaction</dt>
            <dd>${a.transaction_id}</dd>
            <dt>card</dt>
            <dd><a href="/?card=${encodeURIComponent(a.card_id)}&amp;status=all">${a.card_id}</a></dd>
            <dt>terminal</dt>
            <dd>${a.terminal_id}</dd>
            <dt>amount</dt>
            <dd>${formatNumber(a.amount, 2)}</dd>
            <dt>event time</dt>
            <dd>${formatTime(a.event_time)}</dd>
            <dt>raised</dt>
            <dd>${formatTime(view.raisedAt)}</dd>
            <dt>score</dt>
            <dd>
              <strong>${formatNumber(a.score)}</strong> (threshold ${formatNumber(a.threshold)}, model
              ${a.model_version})
            </dd>
            ${
              a.note
                ? html`<dt>note</dt>
                    <dd>${a.note}</dd>`
                : null
            }
          </dl>
        </section>
        <section class="card wide">
          <h2>Why it was raised</h2>
          <table>
            <thead>
              <tr>
                <th>feature</th>
                <th>value</th>
                <th>contribution</th>
                <th></th>
              </tr>
            </thead>
            <tbody>
              ${
                a.reasons.length === 0
                  ? html`<tr>
                      <td colspan="4" class="muted">no reasons recorded</td>
                    </tr>`
                  : null
              }
              ${a.reasons.map(
                (r) =>
                  html`<tr>
                    <td>${r.feature}</td>
                    <td class="num">${formatNumber(r.value, 2)}</td>
                    <td class="num">+${formatNumber(r.contribution)}</td>
                    <td>${reasonBar(r.contribution, maxContribution)}</td>
                  </tr>`,
              )}
            </tbody>
          </table>
        </section>
        <section class="card">
          <h2>Verdict</h2>
          ${actions(view, principal, canWork)}
          ${
            view.state.history.length > 0
              ? html`<h3>History</h3>
                  <ol class="history">
                    ${view.state.history.map(
                      (n) =>
                        html`<li>
                          ${formatTime(n.at)} UTC ·
                          <strong>${n.analyst}</strong>
                          ${n.action.toLowerCase()}${n.comment ? html`: <q>${n.comment}</q>` : null}
                        </li>`,
                    )}
                  </ol>`
              : null
          }
          ${
            view.labels.length > 0
              ? html`<h3>Labels of this transaction</h3>
                  <ul>
                    ${view.labels.map(
                      (l) =>
                        html`<li>
                          ${badge(l.is_fraud ? 'FRAUD' : 'LEGITIMATE')}
                          ${l.source.toLowerCase()}${l.analyst ? html` by ${l.analyst}` : null} at
                          ${formatTime(l.event_time)}
                        </li>`,
                    )}
                  </ul>`
              : null
          }
        </section>
        <section class="card">
          <h2>Terminal ${a.terminal_id}</h2>
          <p class="big">
            ${view.terminal.rate === null ? '–' : `${(view.terminal.rate * 100).toFixed(2)} %`}
          </p>
          <p class="muted">
            ${
              view.terminal.transactions === 0
                ? `no scored transaction of this terminal in the last ${view.terminal.days} days of event time`
                : `confirmed frauds per transaction over the last ${view.terminal.days} days of event time: ${view.terminal.frauds} of ${view.terminal.transactions}`
            }
          </p>
        </section>
      </div>
      <section class="card">
        <h2>Card ${a.card_id}: recent transactions</h2>
        ${chart}
        <table class="history-table">
          <thead>
            <tr>
              <th>event time</th>
              <th>transaction</th>
              <th>terminal</th>
              <th>amount</th>
              <th>score</th>
              <th>model</th>
            </tr>
          </thead>
          <tbody>
            ${
              view.cardHistory.length === 0
                ? html`<tr>
                    <td colspan="6" class="muted">no scores of this card seen yet</td>
                  </tr>`
                : null
            }
            ${view.cardHistory.map(
              (h) =>
                html`<tr class="${h.transactionId === a.transaction_id ? 'current' : ''}">
                  <td>${formatTime(h.eventTime)}</td>
                  <td>${h.transactionId}</td>
                  <td>${h.terminalId}</td>
                  <td class="num">${formatNumber(h.amount, 2)}</td>
                  <td class="num">
                    ${h.score >= h.threshold ? badge(formatNumber(h.score), 'alert') : formatNumber(h.score)}
                  </td>
                  <td>${h.modelVersion}</td>
                </tr>`,
            )}
          </tbody>
        </table>
      </section>`,
  });
}
