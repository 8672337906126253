import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { ModelDeployment } from '@fraudstream/contracts';
import { AvroProducer } from '@fraudstream/kafka';
import type { ModelRefusal } from '@fraudstream/model';
import { APP_CONFIG, type ScorerConfig } from './scorer.config';

/** Publishes this instance's LOAD_REFUSED events on ml.model-deployments.v1. */
@Injectable()
export class DeploymentEventsPublisher {
  constructor(
    private readonly producer: AvroProducer,
    @Inject(APP_CONFIG) private readonly config: ScorerConfig,
  ) {}

  async refused(refusal: ModelRefusal): Promise<void> {
    const event: ModelDeployment = {
      deployment_id: randomUUID(),
      kind: 'LOAD_REFUSED',
      model_version: refusal.version,
      stage: refusal.role === 'CHAMPION' ? 'PRODUCTION' : 'SHADOW',
      previous_version: null,
      parent_version: null,
      artifact_uri: refusal.artifactUri,
      sha256: refusal.sha256,
      request_id: null,
      reason: `${refusal.reason}: ${refusal.error}`.slice(0, 2000),
      metrics: {},
      instance_id: this.config.INSTANCE_ID,
      // The deployment's event time; a refused bootstrap model has none, so the wall clock stands in.
      event_time: refusal.eventTime ?? Date.now(),
    };
    await this.producer.sendMany([
      { topic: this.config.DEPLOYMENTS_TOPIC, records: [{ key: refusal.version, value: event }] },
    ]);
  }
}
