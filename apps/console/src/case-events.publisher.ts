import { Inject, Injectable } from '@nestjs/common';
import type { CaseOutbox } from '@fraudstream/console';
import type { CaseRecord, Label } from '@fraudstream/contracts';
import { AvroProducer } from '@fraudstream/kafka';
import { APP_CONFIG, type ConsoleAppConfig } from './console.config';

/** Writes verdict labels (key: transaction id) and case records (key: alert id) with the app's idempotent producer. */
@Injectable()
export class CaseEventsPublisher implements CaseOutbox {
  constructor(
    private readonly producer: AvroProducer,
    @Inject(APP_CONFIG) private readonly config: ConsoleAppConfig,
  ) {}

  sendLabel(label: Label): Promise<void> {
    return this.producer.sendMany([
      { topic: this.config.LABELS_TOPIC, records: [{ key: label.transaction_id, value: label }] },
    ]);
  }

  sendCase(record: CaseRecord): Promise<void> {
    return this.producer.sendMany([
      { topic: this.config.CASES_TOPIC, records: [{ key: record.alert_id, value: record }] },
    ]);
  }
}
