import {
  DAY_MS,
  validateDeployment,
  validateLabel,
  validateRetrainRequest,
  validateScore,
  validateTransaction,
  type Alert,
  type DriftEvent,
  type Label,
  type ModelDeployment,
  type RetrainRequest,
  type Score,
  type Transaction,
} from '@fraudstream/contracts';
import {
  StreamConsumer,
  type AvroSerde,
  type ConsumedMessage,
  type Kafka,
  type Producer,
} from '@fraudstream/kafka';
import type { RunTopics } from './demo-topics';

/** The champion's score of one transaction, as the report needs it. */
export interface ChampionScore {
  readonly day: number;
  readonly score: number;
  readonly modelVersion: string;
  /** The logged feature vector (kept from `keepFeaturesFromDay` on, for the oracle). */
  readonly features: Float32Array | null;
}

/** Something that happened in the loop, for the headless log and the live view's history. */
export interface LoopNotice {
  readonly wallTime: number;
  readonly day: number;
  readonly text: string;
}

/** Whatever the loop put on its topics, gathered by a read-only consumer group of the run. */
export class LoopObservation {
  readonly produced = new Set<string>();
  readonly producedByDay: number[] = [];
  readonly champion = new Map<string, ChampionScore>();
  readonly challengerIds = new Set<string>();
  duplicates = 0;
  alerts = 0;
  readonly alertsByDay: number[] = [];
  readonly driftEvents: DriftEvent[] = [];
  readonly retrainRequests: RetrainRequest[] = [];
  readonly deployments: ModelDeployment[] = [];
  readonly notices: LoopNotice[] = [];
  labels = 0;
  /**
   * Per topic and partition, the offset of the first record at or after the cut day's start
   * (scores: event time; labels: the time the label became known): where a consumer that should
   * see the loop from that day on starts.
   */
  readonly cutOffsets = new Map<string, Map<number, string>>();
  /** Newest event time among the scores (the loop's event-time clock), or null before the first. */
  newestScoreTime: number | null = null;
  /** Model version of the newest champion score. */
  servingVersion: string | null = null;

  constructor(
    /** Event time of day 0 (UTC midnight). */
    readonly startTime: number,
    private readonly keepFeaturesFromDay: number,
    private readonly cutDay: number,
  ) {}

  /** Notes where `topic`'s partition crosses the cut day (records of a partition come in offset order). */
  markCut<T>(messages: readonly ConsumedMessage<T>[], eventTime: (value: T) => number): void {
    const cut = this.startTime + this.cutDay * DAY_MS;
    for (const m of messages) {
      if (eventTime(m.value) < cut) continue;
      const partitions = this.cutOffsets.get(m.topic) ?? new Map<number, string>();
      this.cutOffsets.set(m.topic, partitions);
      if (!partitions.has(m.partition)) partitions.set(m.partition, m.offset);
    }
  }

  dayOf(eventTime: number): number {
    return Math.floor((eventTime - this.startTime) / DAY_MS);
  }

  get currentDay(): number | null {
    return this.newestScoreTime === null ? null : this.dayOf(this.newestScoreTime);
  }

  notice(day: number, text: string): void {
    this.notices.push({ wallTime: Date.now(), day, text });
  }

  addTransactions(txs: readonly Transaction[]): void {
    for (const tx of txs) {
      if (this.produced.has(tx.transaction_id)) continue;
      this.produced.add(tx.transaction_id);
      const day = this.dayOf(tx.event_time);
      this.producedByDay[day] = (this.producedByDay[day] ?? 0) + 1;
    }
  }

  addScores(scores: readonly Score[]): void {
    for (const s of scores) {
      if (s.role === 'CHALLENGER') {
        if (this.challengerIds.has(s.transaction_id)) this.duplicates++;
        else this.challengerIds.add(s.transaction_id);
        continue;
      }
      if (this.champion.has(s.transaction_id)) {
        this.duplicates++;
        continue;
      }
      const day = this.dayOf(s.event_time);
      this.champion.set(s.transaction_id, {
        day,
        score: s.score,
        modelVersion: s.model_version,
        features: day >= this.keepFeaturesFromDay ? Float32Array.from(s.features) : null,
      });
      if (this.newestScoreTime === null || s.event_time >= this.newestScoreTime) {
        this.newestScoreTime = s.event_time;
        this.servingVersion = s.model_version;
      }
    }
  }

  addAlerts(alerts: readonly Alert[]): void {
    for (const a of alerts) {
      this.alerts++;
      const day = this.dayOf(a.event_time);
      this.alertsByDay[day] = (this.alertsByDay[day] ?? 0) + 1;
    }
  }

  addDriftEvents(events: readonly DriftEvent[]): void {
    for (const e of events) {
      this.driftEvents.push(e);
      const phase = e.event_id.endsWith(':mature') ? 'mature' : 'close';
      const day = this.dayOf(e.window_start);
      const perf =
        e.average_precision !== null
          ? ` AP ${e.average_precision.toFixed(3)} (ref ${e.reference_average_precision.toFixed(3)})`
          : e.roc_auc !== null
            ? ` AUC ${e.roc_auc.toFixed(3)}`
            : '';
      this.notice(
        day,
        `drift   day ${day} ${phase.padEnd(6)} ${e.model_version}: ${e.verdict}` +
          `${e.severity === 'NONE' ? '' : ` (${e.severity})`}${perf}${e.retrain_recommended ? ', retrain recommended' : ''}`,
      );
    }
  }

  addRetrainRequests(requests: readonly RetrainRequest[]): void {
    for (const r of requests) {
      this.retrainRequests.push(r);
      this.notice(
        this.dayOf(r.event_time),
        `retrain ${r.request_id}: ${r.trigger} (${r.severity}), window days ${this.dayOf(r.window_start)}-${this.dayOf(r.window_end) - 1}`,
      );
    }
  }

  addDeployments(events: readonly ModelDeployment[]): void {
    for (const d of events) {
      this.deployments.push(d);
      const what =
        d.kind === 'STAGE_CHANGE' ? `${d.model_version} -> ${d.stage}` : `${d.kind} ${d.model_version}`;
      this.notice(this.dayOf(d.event_time), `deploy  ${what}${d.reason ? ` (${d.reason})` : ''}`);
    }
  }
}

/** The StreamConsumers (one read-only group per topic and run) that fill a LoopObservation. */
export class LoopObserver {
  private readonly consumers: StreamConsumer<unknown>[] = [];

  constructor(
    kafka: Kafka,
    producer: Producer,
    serde: AvroSerde,
    topics: RunTopics,
    groupPrefix: string,
    readonly observation: LoopObservation,
  ) {
    const common = { kafka, producer, serde, fromBeginning: true, maxWaitTimeInMs: 200 };
    const add = <T>(
      topic: string,
      validate: (value: unknown) => T,
      apply: (values: T[], messages: readonly ConsumedMessage<T>[]) => void,
      partitionsConsumedConcurrently = 1,
    ) => {
      this.consumers.push(
        new StreamConsumer<T>({
          ...common,
          groupId: `${groupPrefix}.${topic}`,
          topics: [topic],
          validate,
          partitionsConsumedConcurrently,
          handle: async (messages) =>
            apply(
              messages.map((m) => m.value),
              messages,
            ),
        }) as StreamConsumer<unknown>,
      );
    };
    const o = observation;
    add(topics.transactions, validateTransaction, (v) => o.addTransactions(v), 3);
    add(
      topics.scores,
      validateScore,
      (v, m) => {
        o.markCut(m, (s) => s.event_time);
        o.addScores(v);
      },
      3,
    );
    add(topics.labels, validateLabel, (v: Label[], m) => {
      o.markCut(m, (l) => l.event_time);
      o.labels += v.length;
    });
    add(
      topics.alerts,
      (v) => v as Alert,
      (v) => o.addAlerts(v),
    );
    add(
      topics.driftEvents,
      (v) => v as DriftEvent,
      (v) => o.addDriftEvents(v),
    );
    add(topics.retrainRequests, validateRetrainRequest, (v) => o.addRetrainRequests(v));
    add(topics.modelDeployments, validateDeployment, (v) => o.addDeployments(v));
  }

  async start(): Promise<void> {
    await Promise.all(this.consumers.map((c) => c.start()));
  }

  async stop(): Promise<void> {
    await Promise.all(this.consumers.map((c) => c.stop()));
  }
}
