import { Inject, Injectable, Logger } from '@nestjs/common';
import type { TopicCatchUp } from '@fraudstream/console';
import { APP_CONFIG, type ConsoleAppConfig } from './console.config';
import { CONSOLE_CONSUMERS, type ConsoleConsumers } from './console.consumers';

/**
 * Whether the book has read the alerts, cases and labels topics to the ends they have now: what the
 * case desk waits for after a verdict whose outcome is unknown, and start-up before verdicts.
 */
@Injectable()
export class CasesTopicCatchUp implements TopicCatchUp {
  private readonly logger = new Logger(CasesTopicCatchUp.name);
  private stopping = false;

  constructor(
    @Inject(CONSOLE_CONSUMERS) private readonly consumers: ConsoleConsumers,
    @Inject(APP_CONFIG) private readonly config: ConsoleAppConfig,
  ) {}

  /** One attempt: true once caught up, false after the replay timeout. */
  once(): Promise<boolean> {
    return this.consumers.cases.caughtUp(this.config.CONSOLE_REPLAY_TIMEOUT_MS);
  }

  /** Resolves once caught up, however long the consumer lags; rejects only when the console stops. */
  async caughtUp(): Promise<void> {
    while (!this.stopping) {
      if (await this.once()) return;
      this.logger.warn({ msg: 'still reading the alerts, cases and labels topics' });
    }
    throw new Error('the console is stopping');
  }

  stop(): void {
    this.stopping = true;
  }
}
