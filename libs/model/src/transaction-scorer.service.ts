import {
  type Alert,
  describeError,
  type PoisonKind,
  RetriableError,
  type Score,
  type ScoreRole,
  type Transaction,
} from '@fraudstream/contracts';
import { Logger } from '@nestjs/common';
import { counterfactualRows, severityOf, topReasons } from './alert-reasons';
import type { ExtractedFeatures, FeatureExtractor, TransactionPositions } from './feature-extractor.types';
import type { LoadedModel } from './loaded-model';
import { ScoringError } from './model.errors';
import type { ModelManager } from './model-manager.service';
import type { ModelMetrics } from './model.metrics';

/** Wall clock (scored_at, produce-to-score latency); event time comes from the transactions. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export interface ScoredBatch {
  /** Champion scores (one per transaction, in input order), then challenger scores if a shadow model is loaded. */
  readonly scores: Score[];
  readonly alerts: Alert[];
  /**
   * Transactions not scored, with the reason: a duplicate (kind `duplicate`: its id was scored at
   * another place of the input), or an unusable feature vector (non-finite).
   */
  readonly rejected: { readonly index: number; readonly reason: string; readonly kind?: PoisonKind }[];
  readonly championVersion: string;
  readonly challengerVersion: string | null;
}

export interface TransactionScorerOptions {
  /** Reasons per alert. */
  readonly maxReasons: number;
  readonly metrics?: ModelMetrics;
  readonly clock?: Clock;
}

/**
 * Scores a batch of transactions: features from the pipeline, the champion (and the shadow
 * challenger) through their micro-batchers in the worker threads, then the score records, and alerts
 * with reasons for champion scores at or above the model's threshold. Holds no I/O of its own.
 */
export class TransactionScorer {
  private readonly logger = new Logger(TransactionScorer.name);
  private readonly clock: Clock;

  constructor(
    private readonly features: FeatureExtractor,
    private readonly models: ModelManager,
    private readonly options: TransactionScorerOptions,
  ) {
    this.clock = options.clock ?? systemClock;
  }

  /**
   * `positions` (the input partition and offsets) let the feature state recognise a batch handled
   * again: its transactions are not counted twice and score with the features they first had.
   * `featuresApplied` is called once the feature state counts the batch, before the model runs.
   */
  async scoreBatch(
    transactions: readonly Transaction[],
    positions?: TransactionPositions,
    featuresApplied?: () => void,
  ): Promise<ScoredBatch> {
    const lease = this.models.lease();
    // Retriable: the transport backs off and retries rather than dead-lettering good transactions.
    if (!lease) throw new RetriableError('no model loaded yet');
    try {
      const { vectors, duplicates } = await this.computeFeatures(transactions, positions);
      featuresApplied?.();
      const width = this.features.names.length;
      const rejected: ScoredBatch['rejected'] = [];
      for (const { index, first } of duplicates) {
        const tx = transactions[index];
        rejected.push({
          index,
          kind: 'duplicate',
          reason: `duplicate: transaction_id ${tx?.transaction_id ?? '?'} was already scored from ${positions?.topic ?? 'its topic'}[${first.partition}] at offset ${first.offset}`,
        });
      }
      const kept: number[] = [];
      vectors.forEach((vector, i) => {
        if (!vector) return; // a duplicate
        if (vector.length !== width)
          rejected.push({ index: i, reason: `feature vector of ${vector.length}, expected ${width}` });
        else if (!vector.every(Number.isFinite))
          rejected.push({ index: i, reason: 'non-finite feature value' });
        else kept.push(i);
      });
      const rows = new Float32Array(kept.length * width);
      kept.forEach((i, r) => rows.set(vectors[i] ?? [], r * width));

      const { champion, challenger } = lease;
      const [championScores, challengerScores] = await Promise.all([
        this.run(champion, rows, kept.length),
        challenger ? this.shadowRun(challenger, rows, kept.length) : Promise.resolve(null),
      ]);
      const scoredAt = this.clock.now();
      const scores: Score[] = [];
      const alerting: number[] = [];
      kept.forEach((i, r) => {
        const tx = transactions[i];
        const score = championScores[r];
        if (!tx || score === undefined) return;
        const isAlert = score >= champion.threshold;
        if (isAlert) alerting.push(r);
        scores.push(this.record(tx, vectors[i] ?? [], score, champion, 'CHAMPION', isAlert, scoredAt));
        this.options.metrics?.produceToScore.observe(Math.max(0, scoredAt - tx.ingest_time) / 1000);
      });
      if (challenger && challengerScores) {
        kept.forEach((i, r) => {
          const tx = transactions[i];
          const score = challengerScores[r];
          if (!tx || score === undefined) return;
          scores.push(this.record(tx, vectors[i] ?? [], score, challenger, 'CHALLENGER', false, scoredAt));
        });
      }
      const alerts = await this.alerts(champion, rows, alerting, kept, transactions, championScores);
      this.options.metrics?.scores.inc({ role: 'CHAMPION' }, kept.length);
      if (challengerScores) this.options.metrics?.scores.inc({ role: 'CHALLENGER' }, kept.length);
      for (const alert of alerts) this.options.metrics?.alerts.inc({ severity: alert.severity });
      return {
        scores,
        alerts,
        rejected,
        championVersion: champion.version,
        challengerVersion: challengerScores ? (challenger?.version ?? null) : null,
      };
    } finally {
      lease.release();
    }
  }

  /**
   * Validated transactions do not make the pipeline throw; a failure is its store (Redis) being
   * unreachable, so it is retried rather than dead-lettering good transactions.
   */
  private async computeFeatures(
    transactions: readonly Transaction[],
    positions: TransactionPositions | undefined,
  ): Promise<ExtractedFeatures> {
    try {
      return await this.features.computeBatch(transactions, positions);
    } catch (error) {
      if (error instanceof RetriableError) throw error;
      throw new RetriableError('feature computation failed', { cause: error });
    }
  }

  /** The challenger never holds up the champion: a failed shadow run drops that batch's challenger scores. */
  private async shadowRun(
    model: LoadedModel,
    rows: Float32Array,
    count: number,
  ): Promise<Float32Array | null> {
    try {
      return await model.score(rows, count);
    } catch (error) {
      this.logger.warn({
        msg: 'challenger scoring failed; batch scored by the champion only',
        modelVersion: model.version,
        error: describeError(error),
      });
      this.options.metrics?.shadowFailures.inc();
      return null;
    }
  }

  private async run(model: LoadedModel, rows: Float32Array, count: number): Promise<Float32Array> {
    try {
      return await model.score(rows, count);
    } catch (error) {
      // A dying worker or a transient ORT failure: retry the batch rather than dead-letter it.
      if (error instanceof ScoringError) throw new RetriableError('scoring failed', { cause: error });
      throw error;
    }
  }

  private record(
    tx: Transaction,
    features: readonly number[],
    score: number,
    model: LoadedModel,
    role: ScoreRole,
    isAlert: boolean,
    scoredAt: number,
  ): Score {
    return {
      transaction_id: tx.transaction_id,
      card_id: tx.card_id,
      terminal_id: tx.terminal_id,
      amount: tx.amount,
      event_time: tx.event_time,
      ingest_time: tx.ingest_time,
      scored_at: scoredAt,
      score,
      threshold: model.threshold,
      is_alert: isAlert,
      model_version: model.version,
      role,
      feature_set_version: this.features.version,
      features: [...features],
      // Segments ride along for the trainer's per-segment evaluation; the model never sees them.
      age_band: tx.age_band ?? null,
      region: tx.region ?? null,
    };
  }

  /** Alerts with reasons: one extra batched run over the alerting rows' counterfactuals (see docs/scorer.md). */
  private async alerts(
    model: LoadedModel,
    rows: Float32Array,
    alerting: readonly number[],
    kept: readonly number[],
    transactions: readonly Transaction[],
    scores: Float32Array,
  ): Promise<Alert[]> {
    if (alerting.length === 0) return [];
    const width = model.featureNames.length;
    const counterfactual = counterfactualRows(rows, width, alerting, model.medians);
    const cfScores = await this.run(model, counterfactual, alerting.length * width);
    return alerting.flatMap((r, a) => {
      const tx = transactions[kept[r] ?? -1];
      const score = scores[r];
      if (!tx || score === undefined) return [];
      const reasons = topReasons(
        score,
        cfScores.subarray(a * width, (a + 1) * width),
        rows.subarray(r * width, (r + 1) * width),
        model.featureNames,
        this.options.maxReasons,
      );
      return [
        {
          alert_id: `${tx.transaction_id}:${model.version}`,
          kind: 'SCORE' as const,
          raised_at: null,
          note: '',
          transaction_id: tx.transaction_id,
          card_id: tx.card_id,
          terminal_id: tx.terminal_id,
          amount: tx.amount,
          event_time: tx.event_time,
          score,
          threshold: model.threshold,
          model_version: model.version,
          severity: severityOf(score, model.threshold),
          reasons,
        },
      ];
    });
  }
}
