/*
 * The steps of a fine-tuning job, each a function of its inputs (FineTuneJob wires them to the
 * registry, the data source and the publisher): select the rows, check them, train the challenger,
 * judge it against the champion, and describe its reference.
 */
import { DAY_MS, type Label, type RetrainRequest, type RetrainTrigger } from '@fraudstream/contracts';
import type { EvaluationMetrics, ModelManifest, ReferenceProfile, SegmentTable } from '@fraudstream/registry';
import { mixSeed, pairedCardBootstrap, softAveragePrecision } from '@fraudstream/stats';
import { sampleReplay, splitWindow, type WindowSplit } from './data-split';
import { planDpSgd, secureDpRandom, type DpRandom, type DpSgdPlan } from './dp-sgd.gradients';
import { federatedAverage } from './federated-averaging';
import { joinMatureLabels, type JoinStats, type ScoredTransaction } from './mature-labels';
import { MlpNetwork } from './mlp.network';
import type { ScoringNetwork } from './scoring-network';
import { trainMlp, type ClassWeighting, type EpochReport, type TrainResult } from './mlp.trainer';
import { evaluateScores } from './model-evaluation';
import {
  decideGate,
  isEvidenceTrigger,
  type GateDecision,
  type HoldoutNoise,
  type SoftGateComparison,
} from './model-gate';
import { buildReferenceProfile } from './reference-profile';
import { checkFairness, segmentTable } from './segment-fairness';
import { softLabelledRows } from './soft-labels';
import { selectThreshold } from './threshold';
import { TrainingJobError } from './training.errors';
import type { TrainingSettings } from './training.settings';
import { assertFiniteFeatures, countPositives, toTrainingMatrix, type TrainingRow } from './training-rows';

/** The rows a job trains and is judged on. */
export interface SelectedRows {
  readonly split: WindowSplit;
  /** Older rows replayed against forgetting. */
  readonly replay: TrainingRow[];
  readonly stats: JoinStats;
  /** Unlabelled recent rows trained on with soft targets (in `split.train`; 0 unless the trigger asks). */
  readonly softLabelled: number;
  /**
   * The gate cards' unlabelled rows after the hold-out day, with their soft targets: with
   * `split.recentTest` they are the new regime's whole traffic of the judging cards, on which the
   * gate compares the two models by soft-target AP (empty unless the trigger asks for soft labels).
   */
  readonly recentSoft: TrainingRow[];
  /**
   * The soft-labelled rows (training and judging) the serving model alerted on, and the share of
   * frauds their target was taken from under `reviewed-share` (null otherwise, or too few verdicts).
   */
  readonly softLabelAlerts: { readonly rows: number; readonly fraudShare: number | null };
  /**
   * Every scored transaction of the newest day before the request, settled or not (labels left as
   * they are: only a count of alerts is cut on them): the traffic a `daily-capacity` threshold is
   * cut on when its count no longer holds (`TrainingSettings.thresholdRecutRatio`). Empty when off.
   */
  readonly recentTraffic: TrainingRow[];
}

/**
 * Step 1: join the logged vectors with the labels known at the request (mature labels and confirmed
 * frauds; an unlabelled recent transaction is left out, never taken as legitimate), split the window
 * (hold-out day, the new regime's settled rows for the gate, training rows), and sample the replay.
 * For a trigger in `softLabelTriggers`, the unlabelled recent rows train too, each aiming at the
 * probability that its fraud label is still coming (soft-labels.ts), never as certain negatives.
 */
export function selectTrainingRows(
  scores: readonly ScoredTransaction[],
  labels: readonly Label[],
  request: RetrainRequest,
  settings: TrainingSettings,
  featureSetVersion: string,
): SelectedRows {
  const { rows, unsettled, stats } = joinMatureLabels(
    scores,
    labels,
    { chargebackWindowMs: settings.chargebackWindowMs, asOf: request.event_time },
    featureSetVersion,
  );
  const window = { start: request.window_start, end: request.window_end };
  const matureUntil = request.event_time - settings.chargebackWindowMs;
  const split = splitWindow(rows, window, matureUntil, DAY_MS);
  // The soft-labelled rows only train: the gate and early stopping judge on settled labels alone.
  const soft = settings.softLabelTriggers.includes(request.trigger)
    ? softLabelledRows({
        unsettled,
        settled: rows,
        labels,
        window,
        matureUntil,
        asOf: request.event_time,
        chargebackWindowMs: settings.chargebackWindowMs,
        alerts: settings.softLabelAlerts,
      })
    : { rows: [], alertFraudShare: null };
  const softLabelAlerts = {
    rows: soft.rows.filter((r) => r.alerted === true).length,
    fraudShare: soft.rows.length > 0 ? soft.alertFraudShare : null,
  };
  const replay = sampleReplay(
    split.older,
    Math.round(settings.replayRatio * split.train.length),
    settings.seed,
  );
  // The judging cards' new-regime rows judge, never train (as their settled rows).
  const recentSoft: TrainingRow[] = [];
  for (const row of soft.rows) {
    if (row.eventTime >= split.holdoutEnd && split.isRecentGateCard(row.cardId)) recentSoft.push(row);
    else split.train.push(row);
  }
  const end = Math.min(request.window_end, request.event_time);
  const inNewestDay = (row: TrainingRow) => row.eventTime >= end - DAY_MS && row.eventTime < end;
  const recentTraffic =
    settings.thresholdRecutRatio > 0 ? [...rows.filter(inNewestDay), ...unsettled.filter(inNewestDay)] : [];
  return {
    split,
    replay,
    stats,
    softLabelled: soft.rows.length - recentSoft.length,
    recentSoft,
    softLabelAlerts,
    recentTraffic,
  };
}

/** Step 2: refuse data no model should be trained or judged on (TrainingJobError with the reason). */
export function checkTrainingRows({ split, replay, stats }: SelectedRows, s: TrainingSettings): void {
  const holdout = [...split.validation, ...split.test];
  assertFiniteFeatures(split.train, 'training');
  assertFiniteFeatures(holdout, 'hold-out');
  assertFiniteFeatures(replay, 'replay');
  const trainPositives = countPositives(split.train);
  const holdoutPositives = countPositives(holdout);
  if (split.train.length < s.minTrainRows)
    throw new TrainingJobError(
      'WINDOW_TOO_SMALL',
      `${split.train.length} mature training rows in the window (${stats.scoreRows} scored rows read), need ${s.minTrainRows}`,
    );
  if (holdout.length < s.minHoldoutRows)
    throw new TrainingJobError(
      'WINDOW_TOO_SMALL',
      `${holdout.length} rows on the newest mature day, need ${s.minHoldoutRows}`,
    );
  if (trainPositives === 0 || trainPositives === split.train.length)
    throw new TrainingJobError(
      'ONE_CLASS',
      `the training rows hold only ${trainPositives === 0 ? 'legitimate' : 'fraud'} transactions (${split.train.length} rows)`,
    );
  if (holdoutPositives === 0 || holdoutPositives === holdout.length || countPositives(split.test) === 0)
    throw new TrainingJobError(
      'ONE_CLASS',
      `the newest mature day holds ${holdoutPositives} frauds in ${holdout.length} rows: the gate cannot rank`,
    );
  if (trainPositives < s.minTrainPositives)
    throw new TrainingJobError(
      'WINDOW_TOO_SMALL',
      `${trainPositives} frauds among the training rows, need ${s.minTrainPositives}`,
    );
  if (holdoutPositives < s.minHoldoutPositives)
    throw new TrainingJobError(
      'WINDOW_TOO_SMALL',
      `${holdoutPositives} frauds on the newest mature day, need ${s.minHoldoutPositives}`,
    );
}

/** How a challenger learns from delayed and feedback labels (docs/trainer.md). */
export type TrainingStrategy = 'mixed' | 'aggregate';

/** The hidden widths of an aggregate's two models, for the next job's warm start. */
export interface AggregateComponents {
  readonly feedback: readonly number[];
  readonly delayed: readonly number[];
  /** Weight of the feedback model's logit. */
  readonly feedbackWeight: number;
}

export interface TrainedChallenger {
  readonly network: ScoringNetwork;
  readonly strategy: TrainingStrategy;
  readonly components: AggregateComponents | null;
  readonly epochsRun: number;
  readonly bestEpoch: number;
  /** Rows and positives the challenger trained on (replay included). */
  readonly rows: number;
  readonly positives: number;
  /** The DP-SGD plan of each network trained (one, or two for an aggregate); empty without DP. */
  readonly privacy: readonly DpSgdPlan[];
  /** Copies of the parent trained and averaged into the challenger (`TrainingSettings.fineTuneSoup`). */
  readonly soup: number;
  /** Networks of an ensemble parent fine-tuned one by one and joined again (1: one network). */
  readonly ensemble: number;
}

/**
 * Step 3: train the challenger from the parent's weights.
 * - `mixed`: one model on every settled row of the window (mature rows, early-confirmed frauds and
 *   analysts' verdicts) plus the replay.
 * - `aggregate` (Dal Pozzolo et al. 2018): a delayed model on the mature rows plus the replay, a
 *   feedback model on the settled rows after the hold-out day (confirmed frauds and verdicts), and
 *   their logits averaged with `feedbackWeight` in one block-diagonal network. An aggregate parent
 *   warm-starts each model from its own half.
 * Early stopping on the hold-out day's validation half in both.
 */
export async function trainChallenger(input: {
  readonly parent: ScoringNetwork;
  readonly parentComponents: AggregateComponents | null;
  readonly selected: SelectedRows;
  readonly settings: TrainingSettings;
  readonly onEpoch?: (epoch: EpochReport) => Promise<void>;
  /** Train every epoch, without early stopping on the hold-out day (`TrainingSettings.fullEpochTriggers`). */
  readonly fullEpochs?: boolean;
  /**
   * The parent's training fraud rate (published in its manifest): under DP-SGD the balanced class
   * weights come from it, not from the private rows. Null: unweighted under DP.
   */
  readonly parentFraudRate?: number | null;
  /**
   * Networks the parent is made of (its manifest's `training.ensemble`): an ensemble parent whose
   * blocks are still apart fine-tunes each network on its own and joins them again, so the challenger
   * stays an ensemble. Absent or 1: one network.
   */
  readonly parentEnsemble?: number;
  /** Randomness of DP-SGD's sampling and noise (default: the OS's CSPRNG). */
  readonly dpRandom?: DpRandom;
}): Promise<TrainedChallenger> {
  const { parent, parentComponents, settings } = input;
  const selected = settings.privacy ? withoutSoftLabels(input.selected) : input.selected;
  const { split, replay } = selected;
  const width = parent.inputWidth;
  const validation = toTrainingMatrix(split.validation, width);
  const plans: DpSgdPlan[] = [];
  const classWeighting = settings.privacy
    ? publicClassWeights(settings.classWeighting, input.parentFraudRate ?? null)
    : settings.classWeighting;
  const fit = async (network: ScoringNetwork, rows: readonly TrainingRow[], seed = settings.seed) => {
    const plan = settings.privacy
      ? planDpSgd(settings.privacy, rows.length, settings.batchSize, settings.fineTuneEpochs)
      : null;
    if (plan) plans.push(plan);
    return trainMlp(network, toTrainingMatrix(rows, width), validation, {
      epochs: settings.fineTuneEpochs,
      batchSize: settings.batchSize,
      learningRate: settings.fineTuneLearningRate,
      seed,
      classWeighting,
      patience: settings.patience,
      earlyStopping: input.fullEpochs !== true,
      averageAroundBest: settings.fineTuneAverageWeights,
      frozenLayers: Math.min(settings.frozenLayers, network.layerCount - 1),
      l2: settings.l2,
      onEpoch: input.onEpoch,
      ...(plan ? { privacy: { plan, random: input.dpRandom ?? secureDpRandom() } } : {}),
    });
  };

  const feedbackRows = split.train.filter((r) => r.eventTime >= split.holdoutEnd);
  const feedbackPositives = countPositives(feedbackRows);
  // The aggregate is a block-diagonal MLP: a sequence-family parent fine-tunes as one model (mixed).
  const aggregate =
    settings.strategy === 'aggregate' &&
    parent instanceof MlpNetwork &&
    feedbackPositives > 0 &&
    feedbackPositives < feedbackRows.length;
  if (!aggregate || !(parent instanceof MlpNetwork)) {
    const rows = [...split.train, ...replay];
    const members =
      parent instanceof MlpNetwork && !settings.privacy
        ? parent.ensembleMembers(input.parentEnsemble ?? 1)
        : null;
    if (members)
      return fineTuneMembers(members, (member, seed) => fit(member, rows, seed), settings.seed, rows);
    const soup = parent instanceof MlpNetwork && !settings.privacy ? settings.fineTuneSoup : 1;
    const network = parent.clone();
    const result = await fit(network, rows);
    if (soup > 1 && parent instanceof MlpNetwork && network instanceof MlpNetwork) {
      // A "model soup" (Wortsman et al., ICML 2022): copies warm-started from one parent and trained
      // on the same rows in other orders stay in one basin, so their weight-by-weight mean is a
      // network of the parent's shape whose ranking varies less with the shuffle than any one copy's.
      // The other copies train one after the other with the next seeds; equal shares of the average.
      const copies = [network.snapshot()];
      for (let i = 1; i < soup; i++) {
        const copy = parent.clone();
        try {
          await fit(copy, rows, settings.seed + i);
          copies.push(copy.snapshot());
        } finally {
          copy.dispose();
        }
      }
      network.restore(
        federatedAverage(copies.map((weights, i) => ({ region: `copy ${i + 1}`, weights, rows: 1 }))),
      );
    }
    return {
      network,
      strategy: 'mixed',
      components: null,
      epochsRun: result.epochsRun,
      bestEpoch: result.bestEpoch,
      rows: rows.length,
      positives: countPositives(rows),
      privacy: plans,
      soup,
      ensemble: 1,
    };
  }
  const delayedRows = [...split.train.filter((r) => r.eventTime < split.holdoutStart), ...replay];
  const delayed = parentComponents ? halfOf(parent, parentComponents, 'delayed') : parent.clone();
  const feedback = parentComponents ? halfOf(parent, parentComponents, 'feedback') : parent.clone();
  try {
    const d = await fit(delayed, delayedRows);
    const f = await fit(feedback, feedbackRows);
    const w = settings.aggregateFeedbackWeight;
    return {
      network: MlpNetwork.combine(feedback, delayed, w),
      strategy: 'aggregate',
      components: { feedback: feedback.hiddenUnits, delayed: delayed.hiddenUnits, feedbackWeight: w },
      epochsRun: d.epochsRun + f.epochsRun,
      bestEpoch: d.bestEpoch,
      rows: delayedRows.length + feedbackRows.length,
      positives: countPositives(delayedRows) + feedbackPositives,
      privacy: plans,
      soup: 1,
      ensemble: 1,
    };
  } finally {
    delayed.dispose();
    feedback.dispose();
  }
}

/**
 * An ensemble parent's networks fine-tuned one after the other on the same rows (network i with shuffle
 * seed `seed + i`), each early-stopped on its own, and joined with equal shares of the logit as the base
 * model joined them: the challenger is an ensemble of the same size, as much as the base model was one.
 * Fine-tuned as one wide network instead, its blocks would mix and its shuffle's variance be one
 * network's again. The epochs reported are the first network's.
 */
async function fineTuneMembers(
  members: MlpNetwork[],
  fit: (member: MlpNetwork, seed: number) => Promise<TrainResult>,
  seed: number,
  rows: readonly TrainingRow[],
): Promise<TrainedChallenger> {
  try {
    let first: TrainResult | null = null;
    for (const [i, member] of members.entries()) {
      const result = await fit(member, seed + i);
      first ??= result;
    }
    if (!first) throw new RangeError('an ensemble has at least one network');
    return {
      network: MlpNetwork.ensemble(members),
      strategy: 'mixed',
      components: null,
      epochsRun: first.epochsRun,
      bestEpoch: first.bestEpoch,
      rows: rows.length,
      positives: countPositives(rows),
      privacy: [],
      soup: 1,
      ensemble: members.length,
    };
  } finally {
    for (const member of members) member.dispose();
  }
}

/**
 * Under DP-SGD the soft-labelled rows do not train: a soft target is computed from the window's other
 * rows (their fraud rate and chargeback delays), so one row's gradient would depend on the others'.
 */
function withoutSoftLabels(selected: SelectedRows): SelectedRows {
  if (selected.softLabelled === 0) return selected;
  const train = selected.split.train.filter((r) => r.target === undefined);
  return { ...selected, split: { ...selected.split, train }, softLabelled: 0 };
}

/**
 * Class weights that depend on no private row: `balanced` from the parent's published fraud rate π
 * (1/2π and 1/2(1 − π), which average 1 over rows at that rate, as the data's own would).
 */
function publicClassWeights(weighting: ClassWeighting, parentFraudRate: number | null): ClassWeighting {
  if (weighting !== 'balanced') return weighting;
  if (parentFraudRate === null || !(parentFraudRate > 0 && parentFraudRate < 1)) return 'none';
  return { positiveWeight: 1 / (2 * parentFraudRate), negativeWeight: 1 / (2 * (1 - parentFraudRate)) };
}

/** One half of an aggregate network (see {@link trainChallenger}). */
function halfOf(network: MlpNetwork, c: AggregateComponents, which: 'feedback' | 'delayed'): MlpNetwork {
  if (which === 'feedback')
    return network.component(
      c.feedback,
      c.feedback.map(() => 0),
      c.feedbackWeight,
    );
  return network.component(c.delayed, c.feedback, 1 - c.feedbackWeight);
}

export interface Judgement {
  readonly threshold: number;
  /**
   * The transactions the threshold was cut on, whether they were the newest day's (else the hold-out
   * day's), and the champion's alerts on the newest day (null when not looked at).
   */
  readonly thresholdTraffic: ThresholdTraffic & { readonly rows: number };
  readonly challenger: EvaluationMetrics;
  readonly champion: EvaluationMetrics;
  /** Both models per customer segment on the hold-out's judging half (the gate's rows). */
  readonly segments: SegmentTable;
  readonly gate: GateDecision;
}

/**
 * Step 4: the challenger's threshold (the parent's policy, on the hold-out day) and the gate (see
 * decideGate): both models on the hold-out day's judging half, and on the new regime's settled rows
 * of the judging cards (`recentTest`: the early-confirmed frauds and verdicts the drifted days have
 * so far).
 */
export function judgeChallenger(
  challenger: ScoringNetwork,
  champion: {
    readonly network: ScoringNetwork;
    readonly manifest: Pick<ModelManifest, 'threshold' | 'threshold_policy'>;
  },
  split: WindowSplit,
  settings: TrainingSettings,
  recentSoft: readonly TrainingRow[] = [],
  trigger: RetrainTrigger | null = null,
  recentTraffic: readonly TrainingRow[] = [],
): Judgement {
  const width = challenger.inputWidth;
  const holdout = [...split.validation, ...split.test];
  const policy = champion.manifest.threshold_policy;
  const recut = recutTraffic(champion, policy, holdout, recentTraffic, settings.thresholdRecutRatio);
  const thresholdRows = recut.recent ? recentTraffic : holdout;
  const thresholdMatrix = toTrainingMatrix(thresholdRows, width);
  const threshold = selectThreshold(
    challenger.predict(thresholdMatrix.x, thresholdMatrix.rows),
    thresholdRows.map((r) => r.isFraud),
    thresholdRows.map((r) => r.eventTime),
    policy,
  );
  const k = settings.cardPrecisionK;
  const score = (rows: readonly TrainingRow[]) => {
    const matrix = toTrainingMatrix(rows, width);
    return {
      challenger: challenger.predict(matrix.x, matrix.rows),
      champion: champion.network.predict(matrix.x, matrix.rows),
    };
  };
  const compare = (rows: readonly TrainingRow[], scores = score(rows)) => ({
    challenger: evaluateScores(rows, scores.challenger, { threshold, k }),
    champion: evaluateScores(rows, scores.champion, {
      threshold: champion.manifest.threshold,
      k,
    }),
  });
  const holdoutScores = score(split.test);
  const holdoutComparison = compare(split.test, holdoutScores);
  const challengerOnHoldout = { scores: holdoutScores.challenger, threshold };
  const championOnHoldout = { scores: holdoutScores.champion, threshold: champion.manifest.threshold };
  const segments = segmentTable(split.test, challengerOnHoldout, championOnHoldout);
  // The new regime's rows alone, when they hold both classes (AP needs a legitimate row to rank against).
  const recentPositives = countPositives(split.recentTest);
  const recentScores =
    recentPositives > 0 && recentPositives < split.recentTest.length ? score(split.recentTest) : null;
  const recent = recentScores ? compare(split.recentTest, recentScores) : null;
  const challengerMetrics = holdoutComparison.challenger;
  const championMetrics = holdoutComparison.champion;
  return {
    threshold,
    thresholdTraffic: { rows: thresholdRows.length, ...recut },
    challenger: challengerMetrics,
    champion: championMetrics,
    segments,
    gate: decideGate(holdoutComparison, recent, settings.gate, {
      soft: softComparison(challenger, champion.network, split.recentTest, recentSoft),
      fairness: checkFairness(split.test, challengerOnHoldout, championOnHoldout, settings.gate.fairness),
      noise: holdoutNoise(split.test, holdoutScores, settings),
      recentNoise:
        recentScores && settings.gate.evidenceNoise === true && isEvidenceTrigger(settings.gate, trigger)
          ? holdoutNoise(split.recentTest, recentScores, settings)
          : null,
      trigger,
    }),
  };
}

interface ThresholdTraffic {
  readonly recent: boolean;
  readonly championAlerts: number | null;
}

/**
 * Whether a count-a-day threshold is cut on the newest day's traffic: when that day is there in
 * full (at least half the hold-out day's transactions) and the champion's alerts on it are at least
 * `ratio` times its count a day, or at most its inverse. A label-free test: a count needs none.
 */
function recutTraffic(
  champion: { readonly network: ScoringNetwork; readonly manifest: Pick<ModelManifest, 'threshold'> },
  policy: ModelManifest['threshold_policy'],
  holdout: readonly TrainingRow[],
  recentTraffic: readonly TrainingRow[],
  ratio: number,
): ThresholdTraffic {
  if (policy.kind !== 'daily-capacity' || ratio <= 0 || policy.value <= 0)
    return { recent: false, championAlerts: null };
  if (recentTraffic.length === 0 || recentTraffic.length < holdout.length / 2)
    return { recent: false, championAlerts: null };
  const matrix = toTrainingMatrix(recentTraffic, champion.network.inputWidth);
  let championAlerts = 0;
  for (const score of champion.network.predict(matrix.x, matrix.rows))
    if (score >= champion.manifest.threshold) championAlerts++;
  const times = championAlerts / policy.value;
  return { recent: times >= ratio || times <= 1 / ratio, championAlerts };
}

/**
 * The sampling noise of challenger-minus-champion differences on a set of gate rows (the hold-out,
 * or the new regime's settled rows): a paired bootstrap over its cards, seeded from the training
 * seed (a rerun judges alike). Null when switched off.
 */
function holdoutNoise(
  rows: readonly TrainingRow[],
  scores: { readonly challenger: Float32Array; readonly champion: Float32Array },
  settings: TrainingSettings,
): HoldoutNoise | null {
  const { z, resamples } = settings.gate.noise;
  if (z <= 0 || resamples <= 0) return null;
  return pairedCardBootstrap(
    rows.map((row, i) => ({
      cardId: row.cardId,
      isFraud: row.isFraud,
      scoreA: scores.challenger[i] ?? 0,
      scoreB: scores.champion[i] ?? 0,
    })),
    { resamples, seed: mixSeed(settings.seed, 'gate-bootstrap') },
  );
}

/**
 * Both models by soft-target AP on the judging cards' whole new-regime traffic: their settled rows
 * (0/1) and their unlabelled ones (the probability that a fraud label is still coming). Null
 * without unlabelled rows or without any fraud weight.
 */
function softComparison(
  challenger: ScoringNetwork,
  champion: ScoringNetwork,
  settled: readonly TrainingRow[],
  unsettled: readonly TrainingRow[],
): SoftGateComparison | null {
  if (unsettled.length === 0) return null;
  const rows = [...settled, ...unsettled];
  const targets = rows.map((r) => r.target ?? (r.isFraud ? 1 : 0));
  const expectedFrauds = targets.reduce((sum, t) => sum + t, 0);
  if (expectedFrauds === 0) return null;
  const matrix = toTrainingMatrix(rows, challenger.inputWidth);
  return {
    rows: rows.length,
    settledRows: settled.length,
    expectedFrauds,
    challenger: softAveragePrecision(challenger.predict(matrix.x, matrix.rows), targets),
    champion: softAveragePrecision(champion.predict(matrix.x, matrix.rows), targets),
  };
}

/**
 * Step 5: the challenger's reference for the drift monitor: the window's mature rows (train before
 * the hold-out day, and the hold-out day), and for the novelty test every fraud it learnt from or
 * was judged on, the new regime's early-confirmed ones included (no longer new to it).
 */
export function challengerReference(
  network: ScoringNetwork,
  split: WindowSplit,
  featureNames: readonly string[],
  options: {
    /**
     * The training rows are under DP-SGD: the reference (feature and score profiles, and the novelty
     * test's fraud centroids, k-anonymous but not differentially private) is built from rows that did
     * not train, the hold-out day and the judging cards' recent frauds, so the manifest releases the
     * training rows only through the noisy weights and the job's ε covers all it says of them.
     */
    readonly privateTraining?: boolean;
    /**
     * The challenger's threshold: the new regime's early-confirmed frauds it scores below it (a
     * pattern it has not learnt) stay out of the novelty reference (`TrainingSettings.noveltyLearntOnly`).
     * Unset: all of them go in.
     */
    readonly learntAbove?: number;
  } = {},
): ReferenceProfile {
  const trained = options.privateTraining === true ? [] : split.train;
  const windowRows = [
    ...trained.filter((r) => r.eventTime < split.holdoutStart),
    ...split.validation,
    ...split.test,
  ];
  const matrix = toTrainingMatrix(windowRows, network.inputWidth);
  let recentFrauds = [...trained, ...split.recentTest].filter(
    (r) => r.isFraud && r.eventTime >= split.holdoutEnd,
  );
  const { learntAbove } = options;
  if (learntAbove !== undefined && recentFrauds.length > 0) {
    const recent = toTrainingMatrix(recentFrauds, network.inputWidth);
    const scores = network.predict(recent.x, recent.rows);
    recentFrauds = recentFrauds.filter((_, i) => (scores[i] ?? 0) >= learntAbove);
  }
  return buildReferenceProfile(
    windowRows,
    network.predict(matrix.x, matrix.rows),
    featureNames,
    recentFrauds,
  );
}
