import { Inject, Injectable } from '@nestjs/common';
import type { DriftOutputs, DriftOutputSink } from '@fraudstream/drift';
import { AvroProducer } from '@fraudstream/kafka';
import { APP_CONFIG, type DriftMonitorConfig } from './drift-monitor.config';

/** Produces drift events (key: model version) and retrain requests (key: request id) in one acknowledged send. */
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
    ]);
  }
}
