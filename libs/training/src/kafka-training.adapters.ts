import { Logger } from '@nestjs/common';
import { Topics, type Label, type ModelDeployment, type RetrainRequest } from '@fraudstream/contracts';
import { readTopicRange, type AvroProducer, type AvroSerde, type Kafka } from '@fraudstream/kafka';
import type { ScoredTransaction } from './mature-labels';
import type { DeploymentHistory } from './deployment-announcer.service';
import type { DeploymentPublisher, TrainingDataSource } from './training-io.types';

/**
 * Reads every record of a topic up to the end offsets it had when the read started (a consistent
 * snapshot), decoding each with the registry serde and keeping what `accept` returns. A throwaway
 * consumer group that never commits, so the read leaves no trace in the cluster's offsets.
 */
export async function readTopicSnapshot<T>(
  kafka: Kafka,
  serde: AvroSerde,
  topic: string,
  accept: (value: unknown) => T | null,
  timeoutMs = 300_000,
): Promise<T[]> {
  const logger = new Logger('TopicSnapshot');
  let undecodable = 0;
  const out: T[] = [];
  // read_committed (readTopicRange): the scorer's aborted transactions are never training data.
  await readTopicRange(
    kafka,
    topic,
    async (record) => {
      let decoded: unknown;
      try {
        decoded = await serde.decode(record.value);
      } catch (error) {
        // The live consumers dead-letter such records; a replay skips them rather than fail every job.
        undecodable++;
        logger.warn({
          msg: 'skipping an undecodable record',
          topic,
          partition: record.partition,
          offset: String(record.offset),
          error: error instanceof Error ? error.message : String(error),
        });
        return;
      }
      const value = accept(decoded);
      if (value !== null) out.push(value);
    },
    { timeoutMs, groupPrefix: 'fraudstream-trainer-read' },
  );
  if (undecodable > 0) logger.warn({ msg: 'records skipped', topic, undecodable, kept: out.length });
  return out;
}

/** Topic names the trainer reads and writes (tests use their own). */
export interface TrainerTopics {
  readonly scores: string;
  readonly labels: string;
  readonly retrainRequests: string;
  readonly modelDeployments: string;
}

export const DEFAULT_TRAINER_TOPICS: TrainerTopics = {
  scores: Topics.scores,
  labels: Topics.labels,
  retrainRequests: Topics.retrainRequests,
  modelDeployments: Topics.modelDeployments,
};

/** The fine-tuning job's data straight from tx.scores.v1 and fraud.labels.v1, replayed by event time. */
export class KafkaTrainingDataSource implements TrainingDataSource {
  private readonly logger = new Logger(KafkaTrainingDataSource.name);

  constructor(
    private readonly kafka: Kafka,
    private readonly serde: AvroSerde,
    private readonly topics: Pick<TrainerTopics, 'scores' | 'labels'> = DEFAULT_TRAINER_TOPICS,
  ) {}

  async readScores(start: number, end: number): Promise<ScoredTransaction[]> {
    const rows = await readTopicSnapshot(this.kafka, this.serde, this.topics.scores, (value) => {
      const score = value as ScoredTransaction;
      return score.role === 'CHAMPION' && score.event_time >= start && score.event_time < end ? score : null;
    });
    this.logger.log({ msg: 'read scores', topic: this.topics.scores, rows: rows.length, start, end });
    return rows;
  }

  async readLabels(start: number, end: number, asOf: number): Promise<Label[]> {
    const labels = await readTopicSnapshot(this.kafka, this.serde, this.topics.labels, (value) => {
      const label = value as Label;
      return label.transaction_time >= start && label.transaction_time < end && label.event_time <= asOf
        ? label
        : null;
    });
    this.logger.log({ msg: 'read labels', topic: this.topics.labels, labels: labels.length, asOf });
    return labels;
  }
}

/** Publishes deployment events keyed by model version (one partition: every scorer sees them in order). */
export class KafkaDeploymentPublisher implements DeploymentPublisher {
  constructor(
    private readonly producer: AvroProducer,
    private readonly topic: string = Topics.modelDeployments,
  ) {}

  async publish(events: readonly ModelDeployment[]): Promise<void> {
    await this.producer.sendMany([
      { topic: this.topic, records: events.map((event) => ({ key: event.model_version, value: event })) },
    ]);
  }
}

/** The deployments topic as the reconciler sees it: the ids of the events it holds. */
export class KafkaDeploymentHistory implements DeploymentHistory {
  constructor(
    private readonly kafka: Kafka,
    private readonly serde: AvroSerde,
    private readonly topic: string = Topics.modelDeployments,
  ) {}

  async announcedIds(): Promise<ReadonlySet<string>> {
    const ids = await readTopicSnapshot(this.kafka, this.serde, this.topic, (value) => {
      const id = (value as Partial<ModelDeployment> | null)?.deployment_id;
      return typeof id === 'string' ? id : null;
    });
    return new Set(ids);
  }
}

/** Finds one retrain request by id on the requests topic (the one-shot job mode). */
export async function findRetrainRequest(
  kafka: Kafka,
  serde: AvroSerde,
  requestId: string,
  topic: string = Topics.retrainRequests,
): Promise<RetrainRequest | null> {
  const found = await readTopicSnapshot(kafka, serde, topic, (value) =>
    (value as RetrainRequest).request_id === requestId ? (value as RetrainRequest) : null,
  );
  return found[0] ?? null;
}
