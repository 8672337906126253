import { Injectable } from '@nestjs/common';
import {
  Counter,
  Gauge,
  Histogram,
  Registry,
  collectDefaultMetrics,
  type CounterConfiguration,
  type GaugeConfiguration,
  type HistogramConfiguration,
} from 'prom-client';

/**
 * The process's Prometheus registry. Metric definitions live in one `*.metrics.ts` per lib and are
 * created through here, so two components asking for the same metric share it instead of failing
 * on a duplicate registration.
 */
@Injectable()
export class MetricsRegistry {
  readonly registry = new Registry();

  constructor() {
    // Process metrics, among them nodejs_eventloop_lag_seconds (p50/p90/p99 via monitorEventLoopDelay).
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 10 });
  }

  counter<L extends string>(config: CounterConfiguration<L>): Counter<L> {
    const existing = this.registry.getSingleMetric(config.name);
    if (existing) return existing as Counter<L>;
    return new Counter<L>({ ...config, registers: [this.registry] });
  }

  gauge<L extends string>(config: GaugeConfiguration<L>): Gauge<L> {
    const existing = this.registry.getSingleMetric(config.name);
    if (existing) return existing as Gauge<L>;
    return new Gauge<L>({ ...config, registers: [this.registry] });
  }

  histogram<L extends string>(config: HistogramConfiguration<L>): Histogram<L> {
    const existing = this.registry.getSingleMetric(config.name);
    if (existing) return existing as Histogram<L>;
    return new Histogram<L>({ ...config, registers: [this.registry] });
  }

  /** Exposition text for GET /metrics. */
  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
