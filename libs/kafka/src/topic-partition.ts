/** One partition of one topic: the key of offsets, positions and lag (never a `topic:partition` string). */
export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

/** A map keyed by {@link TopicPartition}, by value (two equal keys are the same entry). */
export class PartitionMap<V> {
  private readonly byTopic = new Map<string, Map<number, V>>();

  get size(): number {
    let n = 0;
    for (const partitions of this.byTopic.values()) n += partitions.size;
    return n;
  }

  get(key: TopicPartition): V | undefined {
    return this.byTopic.get(key.topic)?.get(key.partition);
  }

  set(key: TopicPartition, value: V): this {
    let partitions = this.byTopic.get(key.topic);
    if (!partitions) {
      partitions = new Map();
      this.byTopic.set(key.topic, partitions);
    }
    partitions.set(key.partition, value);
    return this;
  }

  delete(key: TopicPartition): boolean {
    return this.byTopic.get(key.topic)?.delete(key.partition) ?? false;
  }

  clear(): void {
    this.byTopic.clear();
  }

  /** The entries of one topic. */
  ofTopic(topic: string): ReadonlyMap<number, V> {
    return this.byTopic.get(topic) ?? new Map<number, V>();
  }

  *entries(): IterableIterator<[TopicPartition, V]> {
    for (const [topic, partitions] of this.byTopic)
      for (const [partition, value] of partitions) yield [{ topic, partition }, value];
  }

  *values(): IterableIterator<V> {
    for (const partitions of this.byTopic.values()) yield* partitions.values();
  }
}
