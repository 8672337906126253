import type { DriftEvent, EarlyEvidenceSummary } from '@fraudstream/contracts';
import type { AlertsOnDay } from './case-book';
import type { Principal } from './console-auth.service';
import type { DailyAp, DriftTimelineView, DriftWindowRow, RequestOutcome } from './drift-timeline';
import { html, type SafeHtml } from './html';
import { badge, formatDay, formatNumber, formatTime, pageLayout } from './page-layout.view';
import { barChartSvg, lineChartSvg } from './svg-charts';

export interface DriftPageData {
  readonly timeline: DriftTimelineView;
  readonly dailyAp: readonly DailyAp[];
  readonly alertsPerDay: readonly AlertsOnDay[];
}

function drifted(event: DriftEvent): SafeHtml {
  const top = event.features
    .filter((f) => f.drifted)
    .sort((a, b) => b.psi - a.psi)
    .slice(0, 3);
  if (top.length === 0) return html`<span class="muted">none</span>`;
  return html`${top.map((f) => html`<span class="reason">${f.feature} <span class="muted">PSI ${formatNumber(f.psi, 2)}</span></span>`)}`;
}

function verdict(event: DriftEvent | null): SafeHtml {
  if (!event) return html`<span class="muted">pending</span>`;
  return html`${badge(event.verdict.replace('_DRIFT', '').replace('_', ' '), event.verdict.toLowerCase())}${event.severity !== 'NONE' ? html` <span class="muted">${event.severity.toLowerCase()}</span>` : null}${event.retrain_recommended ? html` ${badge('RETRAIN', 'retrain')}` : null}`;
}

function windowRow(row: DriftWindowRow): SafeHtml {
  const c = row.close;
  const m = row.mature;
  const reasons = [...(c?.reasons ?? []), ...(m?.reasons ?? [])];
  return html`<tr>
    <td>${formatDay(Math.floor(row.windowStart / 86_400_000))}</td>
    <td>${row.modelVersion}</td>
    <td>${verdict(c)}</td>
    <td class="num">${c?.row_count ?? '–'}</td>
    <td class="num">${c ? formatNumber(c.prediction.psi, 3) : '–'}</td>
    <td>${c ? drifted(c) : '–'}</td>
    <td class="num">
      ${c ? html`${formatNumber(c.roc_auc)} / ${formatNumber(c.recall_at_threshold)}` : '–'}
    </td>
    <td>${verdict(m)}</td>
    <td class="num">
      ${m ? html`${formatNumber(m.average_precision)} <span class="muted">(ref ${formatNumber(m.reference_average_precision)})</span>` : '–'}
    </td>
    <td class="num">${m ? formatNumber(m.roc_auc) : '–'}</td>
    <td class="num">
      ${m ? html`${formatNumber(m.fraud_rate_live, 4)} <span class="muted">(ref ${formatNumber(m.fraud_rate_reference, 4)})</span>` : '–'}
    </td>
    <td class="reasons-text">
      ${
        reasons.length > 0
          ? html`<details>
              <summary>${reasons.length}</summary>
              <ul>
                ${reasons.map((r) => html`<li>${r}</li>`)}
              </ul>
            </details>`
          : null
      }
    </td>
  </tr>`;
}

function evidenceCounters(e: EarlyEvidenceSummary | null): SafeHtml {
  if (!e) return html`–`;
  return html`${e.chargebacks} chargebacks (${e.missed_chargebacks} missed, ${e.novel_missed_frauds} novel) ·
  ${e.investigations} investigations, ${e.investigation_verdicts} verdicts, ${e.investigation_frauds} frauds ·
  ${e.alert_reviews} alerts reviewed (${e.false_alerts} false) · frauds' domain AUC
  ${e.fraud_domain_auc === null ? '–' : formatNumber(e.fraud_domain_auc, 3)} (${e.fraud_domain_frauds} frauds)
  · SPRT ${formatNumber(e.sprt_llr, 2)}, CUSUM
  ${formatNumber(e.missed_cusum, 2)}${typeof e.missed_cusum_threshold === 'number' ? ` of ${formatNumber(e.missed_cusum_threshold, 2)}` : ''}
  (missed), ${formatNumber(e.false_alert_cusum, 2)} (false alerts)`;
}

function requestRow(r: RequestOutcome): SafeHtml {
  const q = r.request;
  const outcome =
    r.outcome === 'pending'
      ? html`<span class="muted">pending</span>`
      : r.outcome === 'job-failed'
        ? html`${badge('JOB FAILED', 'rejected')} ${r.failure ?? ''}`
        : html`${r.versions.map((v) => html`<div><strong>${v.version}</strong> ${v.stages.map((s) => badge(s))} <span class="muted">${v.reason}</span></div>`)}`;
  return html`<tr>
    <td>${formatTime(q.event_time)}</td>
    <td><code>${q.request_id}</code></td>
    <td>${q.model_version}</td>
    <td>${badge(q.trigger, 'trigger')} <span class="muted">${q.severity.toLowerCase()}</span></td>
    <td>${q.reason}</td>
    <td>${formatTime(q.window_start)} → ${formatTime(q.window_end)}</td>
    <td>${outcome}</td>
  </tr>`;
}

function charts(data: DriftPageData): SafeHtml {
  const days = [...data.dailyAp.map((d) => d.day), ...data.alertsPerDay.map((d) => d.day)];
  if (days.length === 0) return html`<p class="muted">No drift events or alerts yet.</p>`;
  const first = Math.min(...days);
  const last = Math.max(...days);
  const range = Array.from({ length: last - first + 1 }, (_, i) => first + i);
  const labels = range.map((d) => formatDay(d).slice(5));
  const ap = new Map(data.dailyAp.map((d) => [d.day, d]));
  const alerts = new Map(data.alertsPerDay.map((d) => [d.day, d]));
  return html`<div class="charts">
    <figure>
      ${lineChartSvg({
        width: 620,
        height: 240,
        title: 'Average precision by day (labels matured)',
        xLabels: labels,
        series: [
          {
            name: 'AP of the serving model',
            color: '#1d4ed8',
            values: range.map((d) => ap.get(d)?.ap ?? null),
          },
          {
            name: 'reference AP',
            color: '#9ca3af',
            dashed: true,
            values: range.map((d) => ap.get(d)?.reference ?? null),
          },
        ],
      })}
    </figure>
    <figure>
      ${barChartSvg({
        width: 620,
        height: 240,
        title: 'Alerts raised by day',
        xLabels: labels,
        stacks: [
          { name: 'score alerts', color: '#c2410c', values: range.map((d) => alerts.get(d)?.SCORE ?? 0) },
          {
            name: 'investigations',
            color: '#7c3aed',
            values: range.map((d) => alerts.get(d)?.INVESTIGATE ?? 0),
          },
        ],
      })}
    </figure>
  </div>`;
}

/** The drift monitor's day windows, early evidence and retrain requests, with the AP and alert charts. */
export function renderDriftPage(principal: Principal, data: DriftPageData): string {
  const t = data.timeline;
  return pageLayout({
    title: 'Drift',
    page: 'drift',
    principal,
    body: html`<div class="page-head">
        <h1>Drift</h1>
        <p class="muted">
          Each day window is judged twice: at close (distributions, early performance on the labels known so
          far) and once its labels matured (average precision, ROC-AUC, fraud rate). Days in UTC, event time.
        </p>
      </div>
      <section class="card">${charts(data)}</section>
      <section class="card">
        <h2>Day windows</h2>
        <table class="drift">
          <thead>
            <tr>
              <th rowspan="2">day</th>
              <th rowspan="2">model</th>
              <th colspan="5">at close</th>
              <th colspan="4">at maturity</th>
              <th rowspan="2">reasons</th>
            </tr>
            <tr>
              <th>verdict</th>
              <th>rows</th>
              <th>score PSI</th>
              <th>drifted features</th>
              <th>AUC / recall so far</th>
              <th>verdict</th>
              <th>AP</th>
              <th>ROC-AUC</th>
              <th>fraud rate</th>
            </tr>
          </thead>
          <tbody>
            ${
              t.windows.length === 0
                ? html`<tr>
                    <td colspan="12" class="muted">no windows closed yet</td>
                  </tr>`
                : t.windows.map(windowRow)
            }
          </tbody>
        </table>
      </section>
      <section class="card">
        <h2>Early evidence</h2>
        <p class="muted">
          Alarms raised before labels mature: new fraud patterns among confirmed missed frauds, or missed
          frauds running above their rate.
        </p>
        <table>
          <thead>
            <tr>
              <th>at (event time)</th>
              <th>model</th>
              <th>alarm</th>
              <th>verdict</th>
              <th>evidence</th>
              <th>reasons</th>
            </tr>
          </thead>
          <tbody>
            ${
              t.evidence.length === 0
                ? html`<tr>
                    <td colspan="6" class="muted">no early-evidence alarm</td>
                  </tr>`
                : t.evidence.map(
                    (e) =>
                      html`<tr>
                        <td>${formatTime(e.window_end)}</td>
                        <td>${e.model_version}</td>
                        <td>${badge(e.evidence?.kind ?? 'NONE', 'trigger')}</td>
                        <td>${verdict(e)}</td>
                        <td>${evidenceCounters(e.evidence)}</td>
                        <td>${e.reasons.join('; ')}</td>
                      </tr>`,
                  )
            }
          </tbody>
        </table>
      </section>
      <section class="card">
        <h2>Retrain requests</h2>
        <table>
          <thead>
            <tr>
              <th>at (event time)</th>
              <th>request</th>
              <th>model</th>
              <th>trigger</th>
              <th>reason</th>
              <th>window</th>
              <th>outcome</th>
            </tr>
          </thead>
          <tbody>
            ${
              t.requests.length === 0
                ? html`<tr>
                    <td colspan="7" class="muted">no retrain request</td>
                  </tr>`
                : t.requests.map(requestRow)
            }
          </tbody>
        </table>
      </section>`,
  });
}
