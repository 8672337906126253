import { Logger } from '@nestjs/common';
import { PoisonMessageError, describeError, type PoisonKind } from '@fraudstream/contracts';
import type { BatchContext, BatchHandler, BatchOutcome, ConsumedMessage } from './stream-consumer.types';
import { isRebalance } from './failure-kinds';
import { BatchAbandonedError } from './transient-retry';

/** A message the recovery gave up on, with why (the transport dead-letters it). */
export interface FailedMessage<T> {
  readonly message: ConsumedMessage<T>;
  readonly kind: PoisonKind;
  readonly error: unknown;
}

/** Runs work with the transport's transient retry (see retryTransient). */
export type Retry = <R>(work: () => Promise<R>) => Promise<R>;

/** Runs one attempt of a handler's delivery with the transport's sink (see BatchOutcome.deliver). */
export type Delivery = (deliver: NonNullable<BatchOutcome<unknown>['deliver']>) => Promise<void>;

/**
 * Errors that are no message's fault and that the batch must give back to kafkajs: the transport
 * gave up on it, or the group is rebalancing (the retry's heartbeat rethrows it so that kafkajs
 * rejoins; isolating the batch would dead-letter good messages with it).
 */
function mustRethrow(error: unknown): boolean {
  return error instanceof BatchAbandonedError || isRebalance(error);
}

function kindOf(error: unknown): PoisonKind {
  return error instanceof PoisonMessageError ? error.kind : 'handler';
}

/**
 * Handles one batch and delivers its outputs, isolating what cannot be processed. Transient failures
 * (the broker, the registry, Redis away) are retried by `retry` for as long as they last, so they never
 * reach the isolation: only a non-transient throw of the handler, or of the delivery of its outputs,
 * sends the batch message by message, and only a message that still fails alone is given up on,
 * with the kind of its error (`handler` for an unknown one, `oversized` for outputs over the
 * broker's limit). The handler runs before its outputs are delivered, once per attempt of the batch:
 * the delivery alone is what a broker outage retries, so state the handler keeps is not updated twice.
 */
export class BatchRecovery<T> {
  private readonly logger: Logger;

  constructor(
    private readonly handle: BatchHandler<T>,
    private readonly retry: Retry,
    private readonly delivery: Delivery,
    context = BatchRecovery.name,
  ) {
    this.logger = new Logger(context);
  }

  /** Handles and delivers; returns the messages to dead-letter (rejected by the handler or failed alone). */
  async process(messages: readonly ConsumedMessage<T>[], context: BatchContext): Promise<FailedMessage<T>[]> {
    let outcome: BatchOutcome<T> | void;
    try {
      outcome = await this.retry(() => this.handle(messages, context));
    } catch (error) {
      if (mustRethrow(error)) throw error;
      this.warn('batch handler failed; handling its messages one by one', context, error);
      return this.isolate(messages, context);
    }
    const rejected = rejectionsOf(outcome);
    const deliver = outcome?.deliver;
    if (deliver) {
      try {
        await this.retry(() => this.delivery(deliver));
      } catch (error) {
        if (mustRethrow(error)) throw error;
        this.warn('delivering the batch outputs failed; handling its messages one by one', context, error);
        const refused = new Set(rejected.map((r) => r.message));
        return [
          ...rejected,
          ...(await this.isolate(
            messages.filter((m) => !refused.has(m)),
            context,
          )),
        ];
      }
    }
    return rejected;
  }

  private async isolate(
    messages: readonly ConsumedMessage<T>[],
    context: BatchContext,
  ): Promise<FailedMessage<T>[]> {
    const failed: FailedMessage<T>[] = [];
    for (const message of messages) {
      try {
        const outcome = await this.retry(() => this.handle([message], context));
        failed.push(...rejectionsOf(outcome));
        const deliver = outcome?.deliver;
        if (deliver) await this.retry(() => this.delivery(deliver));
      } catch (error) {
        if (mustRethrow(error)) throw error;
        failed.push({ message, kind: kindOf(error), error });
      }
    }
    return failed;
  }

  private warn(msg: string, context: BatchContext, error: unknown): void {
    this.logger.warn({
      msg,
      topic: context.topic,
      partition: context.partition,
      error: describeError(error),
    });
  }
}

function rejectionsOf<T>(outcome: BatchOutcome<T> | void): FailedMessage<T>[] {
  return (outcome?.rejected ?? []).map((r) => ({
    message: r.message,
    kind: r.kind ?? 'rejected',
    error: r.reason,
  }));
}
