import type { MetricsRegistry } from '@fraudstream/observability';

/** Metrics of the scorer app itself (scoring and model metrics live in libs/model). */
export function scorerMetrics(metrics: MetricsRegistry) {
  return {
    produced: metrics.counter({
      name: 'fraudstream_scorer_records_produced_total',
      help: 'Score and alert records acknowledged by the broker, by topic.',
      labelNames: ['topic'] as const,
    }),
    featureStateGaps: metrics.counter({
      name: 'fraudstream_scorer_feature_state_gaps_total',
      help:
        'Times the feature store did not count transactions known counted (evidence: counted-here = state ' +
        'lost while running, committed = no state for a partition the group committed offsets of), by input topic.',
      labelNames: ['topic', 'evidence'] as const,
    }),
    modelLoaded: metrics.gauge({
      name: 'fraudstream_scorer_model_loaded',
      help: '1 when a champion model is loaded and transactions are being scored.',
    }),
  };
}

export type ScorerMetrics = ReturnType<typeof scorerMetrics>;
