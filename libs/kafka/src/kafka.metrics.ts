import type { MetricsRegistry } from '@fraudstream/observability';

/** Transport metrics shared by every consumer built with StreamConsumer. */
export function kafkaMetrics(metrics: MetricsRegistry) {
  return {
    consumed: metrics.counter({
      name: 'fraudstream_kafka_messages_consumed_total',
      help: 'Messages fetched from Kafka by the stream consumers.',
      labelNames: ['topic'] as const,
    }),
    deadLettered: metrics.counter({
      name: 'fraudstream_kafka_dead_letters_total',
      help: 'Messages sent to a dead-letter topic, by reason.',
      labelNames: ['topic', 'reason'] as const,
    }),
    retries: metrics.counter({
      name: 'fraudstream_kafka_handler_retries_total',
      help: 'Attempts retried after a transient failure (broker or registry away), while handling, delivering or dead-lettering a batch.',
      labelNames: ['topic'] as const,
    }),
    crashes: metrics.counter({
      name: 'fraudstream_kafka_consumer_crashes_total',
      help: 'Run-loop crashes of the stream consumers, by who restarts the loop (kafkajs itself, or the transport with a new consumer).',
      labelNames: ['restartedBy'] as const,
    }),
    batchDuration: metrics.histogram({
      name: 'fraudstream_kafka_batch_duration_seconds',
      help: 'Time to decode, handle, dead-letter and commit one fetched batch.',
      labelNames: ['topic'] as const,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    }),
    transactions: metrics.counter({
      name: 'fraudstream_kafka_transactions_total',
      help: 'Kafka transactions of the exactly-once consumers (outputs, dead letters and offsets together), by outcome.',
      labelNames: ['outcome'] as const,
    }),
    transactionDuration: metrics.histogram({
      name: 'fraudstream_kafka_transaction_duration_seconds',
      help: 'Time from beginning a committed transaction to its commit (produce, offsets, end marker).',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    }),
    transactionBatches: metrics.histogram({
      name: 'fraudstream_kafka_transaction_size_batches',
      help: 'Fetched batches committed by one Kafka transaction of the exactly-once consumers (those queued while the previous transaction committed go together).',
      buckets: [1, 2, 3, 4, 6, 8, 12, 16, 32],
    }),
    alignedPieces: metrics.counter({
      name: 'fraudstream_kafka_aligned_pieces_total',
      help: 'Pieces of batches handled by the consumers that hold their partitions in step in event time (a batch taken whole is one piece).',
      labelNames: ['topic'] as const,
    }),
    alignmentWaits: metrics.counter({
      name: 'fraudstream_kafka_alignment_waits_total',
      help: "Waits of an aligned consumer's batch for the other partitions, by outcome: moved (the others caught up) or gave_up (none could move; the rest of the batch is fetched again).",
      labelNames: ['topic', 'outcome'] as const,
    }),
    lag: metrics.gauge({
      name: 'fraudstream_kafka_consumer_lag_messages',
      help: 'Messages between the last fetched offset and the high watermark, per topic (summed over partitions).',
      labelNames: ['topic', 'group'] as const,
    }),
  };
}

export type KafkaMetrics = ReturnType<typeof kafkaMetrics>;
