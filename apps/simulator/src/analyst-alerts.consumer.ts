import { Logger } from '@nestjs/common';
import { ValidationError, type Alert } from '@fraudstream/contracts';
import {
  type AvroSerde,
  StreamConsumer,
  type AvroProducer,
  type Kafka,
  type Producer,
} from '@fraudstream/kafka';
import type { MetricsRegistry } from '@fraudstream/observability';
import type { AnalystDesk, TruthLedger } from '@fraudstream/simulation';

export interface AnalystAlertsConsumerOptions {
  readonly kafka: Kafka;
  readonly serde: AvroSerde;
  /** Raw producer (dead letters) and the Avro producer around it (verdict labels). */
  readonly producer: Producer;
  readonly avroProducer: AvroProducer;
  readonly desk: AnalystDesk;
  readonly ledger: TruthLedger;
  readonly alertsTopic: string;
  readonly labelsTopic: string;
  readonly groupId: string;
  /** Read the alerts topic from its start when the group is new (tests); default: only new alerts. */
  readonly fromBeginning?: boolean;
  readonly metrics?: MetricsRegistry;
}

function validateAlert(value: unknown): Alert {
  const v = value as Partial<Alert> | null;
  if (
    !v ||
    typeof v.transaction_id !== 'string' ||
    typeof v.card_id !== 'string' ||
    typeof v.terminal_id !== 'string' ||
    typeof v.event_time !== 'number' ||
    !Number.isFinite(v.event_time)
  ) {
    throw new ValidationError('alert lacks transaction_id, card_id, terminal_id or a finite event_time');
  }
  return v as Alert;
}

/**
 * The analysts: consumes fraud.alerts.v1 and publishes their true verdicts to fraud.labels.v1
 * (keyed by transaction id), within the desk's daily capacity. Alerts on transactions the ledger
 * no longer (or never) knew get no verdict.
 */
export class AnalystAlertsConsumer {
  private readonly logger = new Logger(AnalystAlertsConsumer.name);
  private readonly consumer: StreamConsumer<Alert>;
  verdicts = 0;

  constructor(private readonly options: AnalystAlertsConsumerOptions) {
    this.consumer = new StreamConsumer<Alert>({
      kafka: options.kafka,
      producer: options.producer,
      serde: options.serde,
      groupId: options.groupId,
      topics: [options.alertsTopic],
      fromBeginning: options.fromBeginning ?? false,
      validate: validateAlert,
      ...(options.metrics ? { metrics: options.metrics } : {}),
      handle: async (messages) => {
        // Dated hours after each alert was raised, however late it came: a bank's analysts see an
        // alert at once; a verdict that reaches the drift monitor after its time counts at its next check.
        const labels = this.options.desk.review(
          messages.map((m) => m.value),
          (id) => this.options.ledger.get(id),
        );
        if (labels.length > 0) {
          await this.options.avroProducer.sendMany([
            {
              topic: this.options.labelsTopic,
              records: labels.map((label) => ({ key: label.transaction_id, value: label })),
            },
          ]);
          this.verdicts += labels.length;
        }
      },
    });
  }

  get healthy(): boolean {
    return this.consumer.healthy;
  }

  async start(): Promise<void> {
    await this.consumer.start();
    this.logger.log({ msg: 'reviewing alerts', topic: this.options.alertsTopic });
  }

  async stop(): Promise<void> {
    await this.consumer.stop();
  }
}
