import type { MetricsRegistry } from '@fraudstream/observability';

/** Buckets of the alert-to-verdict time, in event-time seconds: 5 minutes to a week. */
const VERDICT_DELAY_BUCKETS = [
  300,
  900,
  1800,
  3600,
  3 * 3600,
  6 * 3600,
  12 * 3600,
  86_400,
  3 * 86_400,
  7 * 86_400,
];

/** The console's metrics. Labels are bounded enums: outcome, kind, reason, never ids or user names. */
export function consoleMetrics(metrics: MetricsRegistry) {
  return {
    verdicts: metrics.counter({
      name: 'fraudstream_console_verdicts_total',
      help: 'Verdicts recorded through the console, by outcome (fraud and legitimate write a label; escalate hands the case on).',
      labelNames: ['outcome'] as const,
    }),
    alertToVerdict: metrics.histogram({
      name: 'fraudstream_console_alert_to_verdict_seconds',
      help: 'Event time from an alert being raised to its verdict label, by outcome.',
      labelNames: ['outcome'] as const,
      buckets: VERDICT_DELAY_BUCKETS,
    }),
    queueDepth: metrics.gauge({
      name: 'fraudstream_console_queue_depth_alerts',
      help: 'Open alerts (no verdict yet) in the console, by kind (SCORE, INVESTIGATE).',
      labelNames: ['kind'] as const,
    }),
    refusals: metrics.counter({
      name: 'fraudstream_console_refusals_total',
      help: 'Requests the console refused without writing anything, by reason.',
      labelNames: ['reason'] as const,
    }),
    signIns: metrics.counter({
      name: 'fraudstream_console_sign_ins_total',
      help: 'Sign-in attempts, by outcome (success, failure).',
      labelNames: ['outcome'] as const,
    }),
  };
}

export type ConsoleMetrics = ReturnType<typeof consoleMetrics>;
