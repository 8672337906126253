import { Inject, Injectable } from '@nestjs/common';
import { investigationAlert, type DriftOutputs, type DriftOutputSink } from '@fraudstream/drift';
import { AvroProducer } from '@fraudstream/kafka';
import { APP_CONFIG, type DriftMonitorConfig } from './drift-monitor.config';

/**
 * Produces drift events (key: model version), retrain requests (key: request id) and
 * investigations as INVESTIGATE alerts (key: card id, like the scorer's alerts) in one acknowledged
 * send; a failed send is retried whole by the service, and an alert's id names its transaction, so
 * a repeat is recognisable downstream.
 */
@Injectable()
export class DriftOutputsPublisher implements DriftOutputSink {
  constructor(
    private readonly producer: AvroProducer,
    @Inject(APP_CONFIG) private readonly config: DriftMonitorConfig,
  ) {}

  publish(outputs: DriftOutputs): Promise<void> {
    return this.producer.sendMany([
      {
        topic: this.config.DRIFT_EVENTS_TOPIC,
        records: outputs.driftEvents.map((e) => ({ key: e.model_version, value: e })),
      },
      {
        topic: this.config.RETRAIN_REQUESTS_TOPIC,
        records: outputs.retrainRequests.map((r) => ({ key: r.request_id, value: r })),
      },
      {
        topic: this.config.ALERTS_TOPIC,
        records: outputs.investigations.map((i) => ({ key: i.cardId, value: investigationAlert(i) })),
      },
    ]);
  }
}
