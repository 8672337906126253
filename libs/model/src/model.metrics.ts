import type { MetricsRegistry } from '@fraudstream/observability';

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Metrics of model loading and scoring; `role` is CHAMPION or CHALLENGER. */
export function modelMetrics(metrics: MetricsRegistry) {
  return {
    batchSize: metrics.histogram({
      name: 'fraudstream_scoring_batch_size_rows',
      help: 'Rows per ONNX run after micro-batching.',
      labelNames: ['role'] as const,
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096],
    }),
    scoringDuration: metrics.histogram({
      name: 'fraudstream_scoring_duration_seconds',
      help: 'Wall time of one ONNX run in its worker thread, queueing included.',
      labelNames: ['role', 'provider'] as const,
      buckets: LATENCY_BUCKETS,
    }),
    produceToScore: metrics.histogram({
      name: 'fraudstream_produce_to_score_latency_seconds',
      help: "Wall time from a transaction's ingest_time to its score being computed.",
      buckets: LATENCY_BUCKETS,
    }),
    scores: metrics.counter({
      name: 'fraudstream_scores_total',
      help: 'Transactions scored, by model role.',
      labelNames: ['role'] as const,
    }),
    alerts: metrics.counter({
      name: 'fraudstream_alerts_total',
      help: 'Alerts raised by the champion, by severity.',
      labelNames: ['severity'] as const,
    }),
    shadowFailures: metrics.counter({
      name: 'fraudstream_shadow_scoring_failures_total',
      help: 'Batches whose challenger run failed (scored by the champion only).',
    }),
    modelInfo: metrics.gauge({
      name: 'fraudstream_model_info',
      help: 'The model serving each role (value 1); the version label is bounded to the two loaded models.',
      labelNames: ['role', 'version', 'provider'] as const,
    }),
    loads: metrics.counter({
      name: 'fraudstream_model_loads_total',
      help: 'Model artifacts loaded and warmed up, by role.',
      labelNames: ['role'] as const,
    }),
    refusals: metrics.counter({
      name: 'fraudstream_model_load_refusals_total',
      help: 'Model artifacts refused (checksum, manifest, signature, inputs, load, warm-up, fetch).',
      labelNames: ['reason'] as const,
    }),
    swaps: metrics.counter({
      name: 'fraudstream_model_swaps_total',
      help: 'Model changes applied between batches, by role.',
      labelNames: ['role'] as const,
    }),
  };
}

export type ModelMetrics = ReturnType<typeof modelMetrics>;
