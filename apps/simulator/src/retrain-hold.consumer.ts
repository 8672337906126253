import { Logger } from '@nestjs/common';
import {
  validateDeployment,
  validateRetrainRequest,
  type ModelDeployment,
  type RetrainRequest,
} from '@fraudstream/contracts';
import { type AvroSerde, StreamConsumer, type Kafka, type Producer } from '@fraudstream/kafka';
import type { MetricsRegistry } from '@fraudstream/observability';
import { RetrainHold } from '@fraudstream/simulation';
import type { SimulationControl } from './simulation.control';

export interface RetrainHoldConsumerOptions {
  readonly kafka: Kafka;
  readonly serde: AvroSerde;
  /** Raw producer (dead letters). */
  readonly producer: Producer;
  readonly control: SimulationControl;
  readonly retrainRequestsTopic: string;
  readonly deploymentsTopic: string;
  readonly groupId: string;
  readonly maxHoldMs: number;
  readonly metrics?: MetricsRegistry;
}

/**
 * Reads ml.retrain-requests.v1 and ml.model-deployments.v1 and holds the simulation's clock while a
 * request is being answered (RetrainHold): in the simulator's own process, so the hold starts
 * within a fetch of the request, whatever else the machine is busy with.
 */
export class RetrainHoldConsumer {
  private readonly logger = new Logger(RetrainHoldConsumer.name);
  private readonly consumer: StreamConsumer<RetrainRequest | ModelDeployment>;
  private timer: NodeJS.Timeout | null = null;
  readonly hold: RetrainHold;

  constructor(private readonly options: RetrainHoldConsumerOptions) {
    this.hold = new RetrainHold(options.control, {
      maxHoldMs: options.maxHoldMs,
      log: (message) => this.logger.log({ msg: message }),
    });
    const requests = options.retrainRequestsTopic;
    this.consumer = new StreamConsumer<RetrainRequest | ModelDeployment>({
      kafka: options.kafka,
      producer: options.producer,
      serde: options.serde,
      groupId: options.groupId,
      topics: [requests, options.deploymentsTopic],
      // Only what happens while the simulation runs.
      fromBeginning: false,
      maxWaitTimeInMs: 100,
      // One consumer over both topics: a retrain request names its trigger, a deployment its stage.
      validate: (value) =>
        value && typeof value === 'object' && 'trigger' in value
          ? validateRetrainRequest(value)
          : validateDeployment(value),
      ...(options.metrics ? { metrics: options.metrics } : {}),
      handle: (messages, context) => {
        const values = messages.map((m) => m.value);
        if (context.topic === requests) this.hold.onRequests(values as RetrainRequest[]);
        else this.hold.onDeployments(values as ModelDeployment[]);
        return Promise.resolve();
      },
    });
  }

  get healthy(): boolean {
    return this.consumer.healthy;
  }

  async start(): Promise<void> {
    await this.consumer.start();
    this.timer = setInterval(() => this.hold.tick(), 1000);
    this.timer.unref();
    this.logger.log({ msg: 'holding the clock while retrain requests are answered' });
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.consumer.stop();
  }
}
