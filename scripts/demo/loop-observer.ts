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
import { driftDecisionTime } from '@fraudstream/drift';
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
  /** Card and event time (the oracle's training rows). */
  readonly cardId: string;
  readonly eventTime: number;
  /** The logged feature vector (kept from `keepFeaturesFromDay` on, for the oracles). */
  readonly features: Float32Array | null;
  /** Where the record was read (`partition:offset`; null: not known): a redelivery is not a duplicate. */
  readonly place: string | null;
}

/** The drift monitor's investigations (INVESTIGATE alerts) and the analysts' verdicts on them. */
export interface InvestigationCounts {
  readonly raised: number;
  readonly verdicts: number;
  readonly frauds: number;
}

/** Something that happened in the loop, for the headless log and the live view's history. */
export interface LoopNotice {
  readonly wallTime: number;
  readonly day: number;
  readonly text: string;
}

/** An EVIDENCE event in a line: the alarm and the counts behind it. */
export function evidenceLine(e: DriftEvent): string {
  const x = e.evidence;
  const counts = x
    ? `: ${x.investigation_frauds} frauds in ${x.investigation_verdicts} investigation verdicts ` +
      `(${x.investigations} raised), ${x.novel_missed_frauds} novel ` +
      `missed frauds, ${x.missed_chargebacks} of ${x.chargebacks} chargebacks missed (CUSUM ${x.missed_cusum.toFixed(1)}${typeof x.missed_cusum_threshold === 'number' ? ` of ${x.missed_cusum_threshold.toFixed(1)}` : ''}), ` +
      `${x.false_alerts} of ${x.alert_reviews} reviewed alerts false (CUSUM ${x.false_alert_cusum.toFixed(1)})`
    : '';
  return `${e.model_version}: ${x?.kind ?? e.verdict}${counts}${e.retrain_recommended ? ', retrain recommended' : ''}`;
}

/** Whatever the loop put on its topics, gathered by a read-only consumer group of the run. */
export class LoopObservation {
  readonly produced = new Set<string>();
  /** Newest event time among the produced transactions: where the simulator's stream is. */
  newestTransactionTime: number | null = null;
  readonly producedByDay: number[] = [];
  readonly champion = new Map<string, ChampionScore>();
  /** Champion scores per event day. */
  readonly scoredByDay: number[] = [];
  /** Where each transaction's first challenger score was read (null: not known). */
  readonly challengerPlaces = new Map<string, string | null>();
  duplicates = 0;
  alerts = 0;
  readonly alertsByDay: number[] = [];
  /** INVESTIGATE alerts by transaction id, and the day they were raised. */
  readonly investigated = new Map<string, number>();
  /** Per check that raised investigations (raised_at): its alerts, and its notice's index. */
  private readonly checks = new Map<number, { alerts: Alert[]; notice: number }>();
  /** Analysts' verdicts (ANALYST labels) by transaction id: is it fraud. */
  private readonly analystVerdicts = new Map<string, boolean>();
  readonly driftEvents: DriftEvent[] = [];
  private readonly evidenceIds = new Set<string>();
  private lastEvidenceLine: string | null = null;
  readonly retrainRequests: RetrainRequest[] = [];
  readonly deployments: ModelDeployment[] = [];
  readonly notices: LoopNotice[] = [];
  /** Every label read, as the scorer was given them (the logged feature vectors' check). */
  readonly labelRecords: Label[] = [];
  /** Newest event time among the scores (the loop's event-time clock), or null before the first. */
  newestScoreTime: number | null = null;
  /** Model version of the newest champion score. */
  servingVersion: string | null = null;

  constructor(
    /** Event time of day 0 (UTC midnight). */
    readonly startTime: number,
    private readonly keepFeaturesFromDay: number,
  ) {}

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
      if (this.newestTransactionTime === null || tx.event_time > this.newestTransactionTime)
        this.newestTransactionTime = tx.event_time;
      const day = this.dayOf(tx.event_time);
      this.producedByDay[day] = (this.producedByDay[day] ?? 0) + 1;
    }
  }

  /**
   * Scores as read, with each record's place on the topic (`partition:offset`) when known: a second
   * score of a transaction (and role) is a duplicate when it is another record; the same record
   * handed again to a reader whose group rejoined (after a broker outage) is not.
   */
  addScores(scores: readonly Score[], places?: readonly string[]): void {
    for (let i = 0; i < scores.length; i++) {
      const s = scores[i] as Score;
      const place = places?.[i] ?? null;
      if (s.role === 'CHALLENGER') {
        const first = this.challengerPlaces.get(s.transaction_id);
        if (first === undefined) this.challengerPlaces.set(s.transaction_id, place);
        else if (place === null || first !== place) this.duplicates++;
        continue;
      }
      const first = this.champion.get(s.transaction_id);
      if (first !== undefined) {
        if (place === null || first.place !== place) this.duplicates++;
        continue;
      }
      const day = this.dayOf(s.event_time);
      this.scoredByDay[day] = (this.scoredByDay[day] ?? 0) + 1;
      this.champion.set(s.transaction_id, {
        day,
        score: s.score,
        modelVersion: s.model_version,
        cardId: s.card_id,
        eventTime: s.event_time,
        features: day >= this.keepFeaturesFromDay ? Float32Array.from(s.features) : null,
        place,
      });
      if (this.newestScoreTime === null || s.event_time >= this.newestScoreTime) {
        this.newestScoreTime = s.event_time;
        this.servingVersion = s.model_version;
      }
    }
  }

  addAlerts(alerts: readonly Alert[]): void {
    const raised = new Map<number, Alert[]>();
    for (const a of alerts) {
      if (a.kind === 'INVESTIGATE') {
        // A re-published investigation is the same alert (its id names the transaction).
        if (this.investigated.has(a.transaction_id)) continue;
        const at = a.raised_at ?? a.event_time;
        this.investigated.set(a.transaction_id, this.dayOf(at));
        raised.set(at, [...(raised.get(at) ?? []), a]);
        continue;
      }
      this.alerts++;
      const day = this.dayOf(a.event_time);
      this.alertsByDay[day] = (this.alertsByDay[day] ?? 0) + 1;
    }
    // A check's investigations come in several batches (one per partition): one notice each.
    for (const [at, batch] of raised) {
      const check = this.checks.get(at) ?? { alerts: [], notice: -1 };
      check.alerts.push(...batch);
      const all = check.alerts;
      const seeds = [...new Set(all.map((a) => a.note.split(' ').at(-1) ?? '?'))];
      const text =
        `investigate ${all.length} transaction${all.length === 1 ? '' : 's'} of ` +
        `${new Set(all.map((a) => a.card_id)).size} card(s) at ${new Date(at).toISOString().slice(11, 16)}, ` +
        `like confirmed missed fraud${seeds.length === 1 ? '' : 's'} ${seeds.join(', ')}`;
      const previous = this.notices[check.notice];
      if (previous) this.notices[check.notice] = { ...previous, text };
      else {
        this.notice(this.dayOf(at), text);
        check.notice = this.notices.length - 1;
      }
      this.checks.set(at, check);
    }
  }

  addLabels(labels: readonly Label[]): void {
    this.labelRecords.push(...labels);
    for (const l of labels)
      if (l.source === 'ANALYST')
        this.analystVerdicts.set(
          l.transaction_id,
          (this.analystVerdicts.get(l.transaction_id) ?? false) || l.is_fraud,
        );
  }

  /** Investigations raised, how many the analysts answered, and how many of those were fraud. */
  investigationCounts(): InvestigationCounts {
    let verdicts = 0;
    let frauds = 0;
    for (const id of this.investigated.keys()) {
      const verdict = this.analystVerdicts.get(id);
      if (verdict === undefined) continue;
      verdicts++;
      if (verdict) frauds++;
    }
    return { raised: this.investigated.size, verdicts, frauds };
  }

  addDriftEvents(events: readonly DriftEvent[]): void {
    for (const e of events) {
      this.driftEvents.push(e);
      const day = this.dayOf(e.window_start);
      if (e.phase === 'EVIDENCE') {
        // Alarms of one check share an id (and the counts): one line. An alarm that holds over the
        // next checks with the same counts (until its request is answered) adds none either.
        const line = `evidence ${evidenceLine(e)}`;
        if (!this.evidenceIds.has(e.event_id) && line !== this.lastEvidenceLine) {
          this.notice(this.dayOf(driftDecisionTime(e, 0) - 1), line);
          this.lastEvidenceLine = line;
        }
        this.evidenceIds.add(e.event_id);
        continue;
      }
      const perf =
        e.average_precision !== null
          ? ` AP ${e.average_precision.toFixed(3)} (ref ${e.reference_average_precision.toFixed(3)})`
          : e.roc_auc !== null
            ? ` AUC ${e.roc_auc.toFixed(3)}`
            : '';
      this.notice(
        day,
        `drift   day ${day} ${e.phase.toLowerCase().padEnd(6)} ${e.model_version}: ${e.verdict}` +
          `${e.severity === 'NONE' ? '' : ` (${e.severity})`}${perf}${e.retrain_recommended ? ', retrain recommended' : ''}`,
      );
    }
  }

  addRetrainRequests(requests: readonly RetrainRequest[]): void {
    for (const r of requests) {
      this.retrainRequests.push(r);
      const day = this.dayOf(r.event_time);
      this.notice(
        day,
        `retrain ${r.request_id}: ${r.trigger} (${r.severity}), window days ${this.dayOf(r.window_start)}-${this.dayOf(r.window_end) - 1}`,
      );
    }
  }

  addDeployments(events: readonly ModelDeployment[]): void {
    for (const d of events) {
      this.deployments.push(d);
      const day = this.dayOf(d.event_time);
      const what =
        d.kind === 'STAGE_CHANGE' ? `${d.model_version} -> ${d.stage}` : `${d.kind} ${d.model_version}`;
      this.notice(day, `deploy  ${what}${d.reason ? ` (${d.reason})` : ''}`);
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
      (v, messages) =>
        o.addScores(
          v,
          messages.map((m) => `${m.partition}:${m.offset}`),
        ),
      3,
    );
    add(topics.labels, validateLabel, (v: Label[]) => o.addLabels(v));
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
