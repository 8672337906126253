import type { MetricsRegistry } from '@fraudstream/observability';

/** A simulated day in seconds: Prometheus names time in its base unit, so the progress gauge counts seconds. */
export const SIMULATED_DAY_SECONDS = 86_400;

/** The simulator app's metrics. */
export function simulatorMetrics(registry: MetricsRegistry) {
  return {
    transactions: registry.counter({
      name: 'fraudstream_simulator_transactions_total',
      help: 'Simulated transactions published, by ground truth',
      labelNames: ['truth'] as const,
    }),
    chargebacks: registry.counter({
      name: 'fraudstream_simulator_chargebacks_total',
      help: 'Chargeback labels published',
    }),
    simulatedSeconds: registry.gauge({
      name: 'fraudstream_simulator_simulated_seconds',
      help: 'Simulated event time covered by the current run: completed days times 86400',
    }),
  };
}
