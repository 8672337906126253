import type { Principal } from './console-auth.service';
import { html, type SafeHtml } from './html';
import type { ModelCatalog, ModelEntry } from './model-desk.service';
import { MAX_OPERATOR_REASON } from './console-requests.schemas';
import { badge, formatNumber, formatTime, pageLayout } from './page-layout.view';

function metricsTable(metrics: Readonly<Record<string, number>>): SafeHtml {
  const entries = Object.entries(metrics);
  if (entries.length === 0) return html`<p class="muted">none recorded</p>`;
  return html`<table class="compact">
    <tbody>
      ${entries.map(
        ([k, v]) =>
          html`<tr>
            <td>${k}</td>
            <td class="num">${Number.isInteger(v) ? v : formatNumber(v, 4)}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

function auditTable(entry: ModelEntry): SafeHtml {
  return html`<table class="compact audit">
    <thead>
      <tr>
        <th>at (wall)</th>
        <th>event time</th>
        <th>action</th>
        <th>stage</th>
        <th>actor</th>
        <th>reason</th>
      </tr>
    </thead>
    <tbody>
      ${entry.audit.map(
        (e) =>
          html`<tr>
            <td>${e.at.slice(0, 19).replace('T', ' ')}</td>
            <td>${formatTime(e.event_time)}</td>
            <td>${e.action}</td>
            <td>${e.from_stage ?? '–'} → ${e.to_stage ?? '–'}</td>
            <td class="actor">${e.actor}</td>
            <td>${e.reason}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

function canPromote(entry: ModelEntry): boolean {
  return entry.stage !== 'PRODUCTION' && entry.stage !== 'REJECTED';
}

function modelRow(entry: ModelEntry, canOperate: boolean): SafeHtml {
  const m = entry.manifest;
  const v = m.metrics.validation;
  const t = m.training;
  return html`<tr data-version="${entry.version}">
      <td><strong>${entry.version}</strong></td>
      <td>${badge(entry.stage)}</td>
      <td>
        ${m.parent_version ?? '–'}${m.compression ? html`<div class="muted">${m.compression.kind} of it, AP loss ${formatNumber(m.compression.ap_loss, 4)}</div>` : null}
      </td>
      <td>
        ${formatTime(t.window_start)} → ${formatTime(t.window_end)}
        <div class="muted">
          ${t.rows} rows, ${t.positives} frauds${t.replay_rows > 0 ? `, ${t.replay_rows} replayed` : ''}
        </div>
      </td>
      <td>
        ${t.request_id ?? '–'}${t.drift_event_id ? html`<div class="muted">drift ${t.drift_event_id}</div>` : null}
      </td>
      <td class="num">${formatNumber(m.threshold)}</td>
      <td class="num">
        ${formatNumber(v.average_precision)}${m.metrics.champion ? html`<div class="muted">champion ${formatNumber(m.metrics.champion.average_precision)}</div>` : null}
      </td>
      <td class="num">${formatNumber(v.roc_auc)}</td>
      <td>
        ${
          entry.promotionRequest
            ? html`<div class="muted" data-testid="awaiting-${entry.version}">
                  awaiting approval: requested by ${entry.promotionRequest.requestedBy},
                  ${entry.promotionRequest.missing} more needed
                </div>
                ${
                  canOperate
                    ? html`<button type="button" data-action="approve" data-version="${entry.version}">
                          Approve
                        </button>
                        <button type="button" data-action="refuse" data-version="${entry.version}">
                          Refuse
                        </button>`
                    : null
                }`
            : canOperate && canPromote(entry)
              ? html`<button type="button" data-action="promote" data-version="${entry.version}">
                  Promote
                </button>`
              : null
        }
      </td>
    </tr>
    <tr class="details">
      <td colspan="9">
        <details>
          <summary>Lineage, gate metrics and audit trail of ${entry.version}</summary>
          <div class="grid">
            <div>
              <h4>Lineage</h4>
              <dl class="facts">
                <dt>created</dt>
                <dd>
                  ${m.created_at.slice(0, 19).replace('T', ' ')} (event time
                  ${formatTime(m.created_event_time)})
                </dd>
                <dt>code revision</dt>
                <dd><code>${m.code_revision.slice(0, 12)}</code></dd>
                <dt>architecture</dt>
                <dd>
                  ${m.architecture.hidden_units.join('×')}
                  ${m.architecture.activation}${t.strategy ? `, ${t.strategy}` : ''}
                </dd>
                <dt>training</dt>
                <dd>
                  seed ${t.seed}, ${t.epochs} epochs, ${t.warm_start ? 'warm start' : 'from scratch'},
                  ${t.frozen_layers} frozen layers
                </dd>
                <dt>threshold policy</dt>
                <dd>${m.threshold_policy.kind} ${m.threshold_policy.value}</dd>
                <dt>sha256</dt>
                <dd><code>${m.onnx.sha256.slice(0, 16)}…</code></dd>
              </dl>
            </div>
            <div>
              <h4>Gate</h4>
              ${metricsTable(m.metrics.gate ?? {})}
            </div>
          </div>
          <h4>Audit trail</h4>
          ${auditTable(entry)}
        </details>
      </td>
    </tr>`;
}

/** The registry: versions with stage, lineage, gate metrics and audit trail; promote and rollback for model owners. */
export function renderModelsPage(principal: Principal, catalog: ModelCatalog, canOperate: boolean): string {
  return pageLayout({
    title: 'Models',
    page: 'models',
    principal,
    body: html`<div class="page-head">
        <h1>Models</h1>
        <p class="muted">
          In production: <strong data-testid="production">${catalog.production ?? 'none'}</strong>. Promotions
          and rollbacks go through the same code path as <code>npm run models</code> and are recorded in the
          audit log with who did them.
        </p>
      </div>
      ${
        canOperate
          ? html`<section class="card operator">
              <label
                >Reason for the audit log
                <input
                  id="operator-reason"
                  maxlength="${MAX_OPERATOR_REASON}"
                  size="50"
                  placeholder="e.g. reviewed the gate metrics of the challenger"
              /></label>
              ${catalog.rollbackTarget ? html`<button type="button" data-action="rollback" class="danger">Roll back to ${catalog.rollbackTarget}</button>` : html`<span class="muted">no earlier production model to roll back to</span>`}
            </section>`
          : html`<p class="muted">
              Your role (${principal.roles.join(', ')}) may read the registry; promoting and rolling back need
              the model-owner role.
            </p>`
      }
      <section class="card">
        <table class="models">
          <thead>
            <tr>
              <th>version</th>
              <th>stage</th>
              <th>parent</th>
              <th>training window</th>
              <th>request</th>
              <th>threshold</th>
              <th>AP</th>
              <th>ROC-AUC</th>
              <th></th>
            </tr>
          </thead>
          <tbody>
            ${
              catalog.models.length === 0
                ? html`<tr>
                    <td colspan="9" class="muted">no models registered</td>
                  </tr>`
                : catalog.models.map((m) => modelRow(m, canOperate))
            }
          </tbody>
        </table>
      </section>`,
  });
}
