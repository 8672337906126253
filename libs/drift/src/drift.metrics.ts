import type { MetricsRegistry } from '@fraudstream/observability';
import type { DriftOutputs, DriftStatus } from './drift-detector';

/** The drift monitor's metrics. Labels are bounded: feature names come from the model's fixed feature list. */
export function driftMetrics(metrics: MetricsRegistry) {
  return {
    featurePsi: metrics.gauge({
      name: 'fraudstream_drift_feature_psi',
      help: 'PSI of each feature (and of the score, feature="score") in the last closed window.',
      labelNames: ['feature'] as const,
    }),
    verdicts: metrics.counter({
      name: 'fraudstream_drift_verdicts_total',
      help: 'Drift events emitted, by verdict, severity and phase (close: distribution drift; mature: with labels; evidence: early evidence of a new pattern).',
      labelNames: ['verdict', 'severity', 'phase'] as const,
    }),
    livePerformance: metrics.gauge({
      name: 'fraudstream_drift_live_performance',
      help: 'Performance of the production model on the last window whose labels matured.',
      labelNames: ['metric'] as const,
    }),
    retrainRequests: metrics.counter({
      name: 'fraudstream_drift_retrain_requests_total',
      help: 'Retrain requests emitted, by trigger.',
      labelNames: ['trigger'] as const,
    }),
    investigations: metrics.counter({
      name: 'fraudstream_drift_investigations_total',
      help: 'Transactions the analysts were asked to investigate (INVESTIGATE alerts).',
    }),
    labelBacklog: metrics.gauge({
      name: 'fraudstream_drift_label_backlog_transactions',
      help: 'Sampled transactions of closed windows with no label whose chargeback window is still open.',
    }),
    labelMaturity: metrics.gauge({
      name: 'fraudstream_drift_label_maturity_ratio',
      help: 'Share of sampled transactions of closed windows that are labelled or mature.',
    }),
    pendingLabels: metrics.gauge({
      name: 'fraudstream_drift_pending_labels',
      help: 'Labels waiting for their score (they arrived first).',
    }),
    skipped: metrics.gauge({
      name: 'fraudstream_drift_skipped_records',
      help: 'Records not aggregated since start-up (or the checkpoint), by reason.',
      labelNames: ['reason'] as const,
    }),
    watermark: metrics.gauge({
      name: 'fraudstream_drift_watermark_seconds',
      help: 'Event-time watermark of the drift monitor (newest score time minus the allowed lateness).',
    }),
  };
}

export type DriftMetrics = ReturnType<typeof driftMetrics>;

/** Updates the metrics from what the detector emitted and its status. */
export function recordDriftOutputs(m: DriftMetrics, outputs: DriftOutputs, status: DriftStatus): void {
  for (const e of outputs.driftEvents) {
    m.verdicts.inc({ verdict: e.verdict, severity: e.severity, phase: e.phase.toLowerCase() });
    if (e.phase === 'CLOSE')
      for (const f of [...e.features, e.prediction]) m.featurePsi.set({ feature: f.feature }, f.psi);
    const perf = {
      average_precision: e.average_precision,
      roc_auc: e.roc_auc,
      recall_at_threshold: e.recall_at_threshold,
      card_precision_at_k: e.card_precision_at_k,
      fraud_rate: e.fraud_rate_live,
    };
    for (const [metric, value] of Object.entries(perf))
      if (value !== null) m.livePerformance.set({ metric }, value);
  }
  for (const r of outputs.retrainRequests) m.retrainRequests.inc({ trigger: r.trigger });
  if (outputs.investigations.length > 0) m.investigations.inc(outputs.investigations.length);
  m.labelBacklog.set(status.labelBacklog);
  m.labelMaturity.set(status.labelMaturity);
  m.pendingLabels.set(status.pendingLabels);
  for (const [reason, count] of Object.entries(status.skipped)) m.skipped.set({ reason }, count);
  if (status.watermark !== null) m.watermark.set(status.watermark / 1000);
}
