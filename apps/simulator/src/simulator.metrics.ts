import type { MetricsRegistry } from '@fraudstream/observability';

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
    simulatedDays: registry.gauge({
      name: 'fraudstream_simulator_simulated_days',
      help: 'Simulated days completed in the current run',
    }),
  };
}
