import type { PartitionMetadata } from 'kafkajs';
import { HOUR_MS, type Label, type Transaction } from '@fraudstream/contracts';
import { Partitioners } from '@fraudstream/kafka';
import { chargebackOf } from './sample-records';

/** The partition the producers' default partitioner gives a key on a topic of `partitions` partitions. */
export function keyPartitioner(topic: string, partitions: number): (key: string) => number {
  const partitionOf = Partitioners.DefaultPartitioner();
  const partitionMetadata: PartitionMetadata[] = Array.from({ length: partitions }, (_, id) => ({
    partitionErrorCode: 0,
    partitionId: id,
    leader: 0,
    replicas: [0],
    isr: [0],
  }));
  return (key) => partitionOf({ topic, partitionMetadata, message: { key, value: null } });
}

/**
 * A stream whose terminals each stay on one partition (cards are keys; a terminal's cards share a
 * partition), in event-time order: the online features then do not depend on how the partitions'
 * batches interleave, and equal the offline recomputation exactly. 60 cards, 5 terminals per
 * partition, 20 s apart (6,000 transactions span 33 hours: the hourly rings wrap).
 */
export function partitionLocalStream(
  topic: string,
  partitions: number,
  total: number,
  t0: number,
  idPrefix = 'fs',
): Transaction[] {
  const partitionOf = keyPartitioner(topic, partitions);
  const cards = Array.from({ length: 60 }, (_, c) => {
    const id = `card-${c}`;
    return { id, partition: partitionOf(id) };
  });
  return Array.from({ length: total }, (_, i) => {
    const card = cards[(i * 7 + Math.floor(i / 60)) % cards.length] ?? { id: 'card-0', partition: 0 };
    return {
      transaction_id: `${idPrefix}-${i}`,
      card_id: card.id,
      terminal_id: `term-p${card.partition}-${(i * 13) % 5}`,
      amount: 1 + ((i * 37) % 900) + (i % 7) / 4,
      currency: 'EUR',
      channel: i % 3 === 0 ? 'CARD_NOT_PRESENT' : 'CARD_PRESENT',
      event_time: t0 + i * 20_000,
      ingest_time: Date.now(),
    };
  });
}

/** A chargeback for every 23rd transaction, 6-12 hours after it (the bank learns it then). */
export function chargebacks(transactions: readonly Transaction[]): Label[] {
  return transactions
    .filter((_, i) => i % 23 === 5)
    .map((t, k) => chargebackOf(t, t.event_time + (6 + (k % 7)) * HOUR_MS))
    .sort((a, b) => a.event_time - b.event_time);
}
