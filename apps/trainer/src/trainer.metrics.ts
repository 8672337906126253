import type { MetricsRegistry } from '@fraudstream/observability';
import type { Counter, Histogram } from 'prom-client';

export interface TrainerMetrics {
  readonly jobs: Counter<'status'>;
  readonly jobDuration: Histogram<'status'>;
  readonly lifecycleDecisions: Counter<'stage'>;
}

/** The trainer's metrics; status and stage are bounded enums. */
export function trainerMetrics(registry: MetricsRegistry): TrainerMetrics {
  return {
    jobs: registry.counter({
      name: 'fraudstream_trainer_jobs_total',
      help: 'Fine-tuning jobs by outcome (SHADOW, REJECTED, FAILED, DUPLICATE)',
      labelNames: ['status'],
    }),
    jobDuration: registry.histogram({
      name: 'fraudstream_trainer_job_duration_seconds',
      help: 'Wall time of a fine-tuning job from request to deployment event',
      labelNames: ['status'],
      buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1800],
    }),
    lifecycleDecisions: registry.counter({
      name: 'fraudstream_trainer_lifecycle_decisions_total',
      help: 'Promotions, rejections and rollbacks decided after the gate, by resulting stage',
      labelNames: ['stage'],
    }),
  };
}
