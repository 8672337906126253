import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { CaseBook, CaseDesk, type ConsoleMetrics } from '@fraudstream/console';
import { describeError } from '@fraudstream/contracts';
import { HealthRegistry } from '@fraudstream/observability';
import { CasesTopicCatchUp } from './cases-catch-up';
import { APP_CONFIG, type ConsoleAppConfig } from './console.config';
import { CONSOLE_CONSUMERS, type ConsoleConsumers } from './console.consumers';
import { CONSOLE_METRICS } from './console.tokens';
import { LiveQueue } from './live-queue.service';

/** How often the queue-depth gauge is refreshed at most (it walks the open alerts). */
const DEPTH_EVERY_MS = 1000;

/**
 * Starts the consumers, accepts verdicts once the alerts, cases and labels topics have been read to
 * the ends they had at start (so a case closed before a restart is still closed), keeps the queue
 * depth gauge, and stops it all at shutdown (live queues first, so HTTP can close).
 */
@Injectable()
export class ConsoleLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(ConsoleLifecycle.name);
  private depthTimer: NodeJS.Timeout | null = null;
  private unsubscribe: () => void = () => undefined;

  constructor(
    @Inject(CONSOLE_CONSUMERS) private readonly consumers: ConsoleConsumers,
    @Inject(APP_CONFIG) private readonly config: ConsoleAppConfig,
    @Inject(CONSOLE_METRICS) private readonly metrics: ConsoleMetrics,
    private readonly book: CaseBook,
    private readonly desk: CaseDesk,
    private readonly live: LiveQueue,
    private readonly catchUp: CasesTopicCatchUp,
    health: HealthRegistry,
  ) {
    health.register('console', () => ({
      up: this.desk.ready && this.all().every((c) => c.healthy),
      ready: this.desk.ready,
    }));
  }

  async onApplicationBootstrap(): Promise<void> {
    this.unsubscribe = this.book.subscribe(() => this.scheduleDepth());
    await Promise.all(this.all().map((c) => c.start()));
    if (await this.catchUp.once()) this.ready();
    else {
      this.logger.warn({
        msg: 'alerts, cases and labels not read to their ends yet; verdicts wait until they are',
        timeoutMs: this.config.CONSOLE_REPLAY_TIMEOUT_MS,
      });
      void this.catchUp.caughtUp().then(
        () => this.ready(),
        (error: unknown) => this.logger.error({ msg: 'replay did not finish', error: describeError(error) }),
      );
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.catchUp.stop();
    this.unsubscribe();
    if (this.depthTimer) clearTimeout(this.depthTimer);
    this.live.close();
    await Promise.all(this.all().map((c) => c.stop()));
  }

  private all(): readonly { readonly healthy: boolean; start(): Promise<void>; stop(): Promise<void> }[] {
    return [this.consumers.cases, this.consumers.scores, this.consumers.timeline];
  }

  private ready(): void {
    this.desk.markReady();
    this.logger.log({ msg: 'ready: verdicts accepted', streamClock: this.book.streamClock });
  }

  private scheduleDepth(): void {
    if (this.depthTimer) return;
    this.depthTimer = setTimeout(() => {
      this.depthTimer = null;
      const open = this.book.openCounts(Date.now());
      this.metrics.queueDepth.set({ kind: 'SCORE' }, open.SCORE);
      this.metrics.queueDepth.set({ kind: 'INVESTIGATE' }, open.INVESTIGATE);
    }, DEPTH_EVERY_MS);
  }
}
