import { DAY_MS, type Transaction } from '@fraudstream/contracts';
import {
  DEFAULT_START_TIME,
  DRIFT_SCENARIOS,
  TransactionSimulator,
  defaultRadius,
  type SimulationOptions,
} from '@fraudstream/simulation';
import { FEATURE_NAMES, FEATURE_SET_VERSION, FeaturePipeline } from '@fraudstream/features';
import { streamRng, uniform, uniformInt, type Rng } from '@fraudstream/stats';
import {
  trainBaseModel,
  type BaseTrainingResult,
  type TrainingRow,
  type TrainingSettings,
} from '@fraudstream/training';

/** How big and how varied the pretraining corpus is. */
export interface CorpusOptions {
  readonly seed: number;
  /** Simulated populations (each its own bank: size, activity, fraud mix, labels, drift). */
  readonly populations: number;
  /** Days simulated first to fill the 30-day feature windows (not in the corpus). */
  readonly warmupDays: number;
  /** Days of each population in the corpus. */
  readonly days: number;
  readonly minCustomers: number;
  readonly maxCustomers: number;
}

export const DEFAULT_CORPUS: Omit<CorpusOptions, 'seed'> = {
  populations: 12,
  warmupDays: 30,
  days: 14,
  minCustomers: 600,
  maxCustomers: 1600,
};

/** One population of the corpus: its simulator options and what its bank records. */
export interface CorpusPopulation {
  readonly index: number;
  readonly simulation: SimulationOptions;
  /** False: the bank records no channel (every payment CARD_PRESENT), as the handbook's data. */
  readonly channelRecorded: boolean;
}

const pick = <T>(rng: Rng, items: readonly T[]): T => items[uniformInt(rng, items.length)] as T;

/**
 * The corpus's populations, drawn from the seed: population size and terminals per customer,
 * payments a day (a customer's mean uniform in [0, 2..20]), the radius of terminals used, the three
 * fraud mechanisms' rates and parameters (amount threshold 150-300; 0.5-4 terminals a day per
 * 10,000 for 14-28 days; 1.5-6 cards a day per 5,000 for 7-21 days, a fifth to a half of their
 * payments x2-x6), compromises from the start (a ramp-up) or steady, chargebacks uniform in
 * [1, 7) days or all 7 days late, channel recorded or not, and a drift scenario (any of
 * the simulator's, at intensity 0.5-2) from a random day.
 */
export function corpusPopulations(options: CorpusOptions): CorpusPopulation[] {
  const rng = streamRng(options.seed, 'pretrain-corpus');
  const out: CorpusPopulation[] = [];
  const totalDays = options.warmupDays + options.days;
  for (let index = 0; index < options.populations; index++) {
    const customers = Math.round(uniform(rng, options.minCustomers, options.maxCustomers));
    const terminals = Math.round(customers * uniform(rng, 1.5, 3));
    const fixedDelay = rng() < 0.5;
    const scenario = pick(rng, DRIFT_SCENARIOS);
    out.push({
      index,
      channelRecorded: rng() < 0.5,
      simulation: {
        seed: uniformInt(rng, 1_000_000),
        days: totalDays,
        startTime: DEFAULT_START_TIME + uniformInt(rng, 7) * DAY_MS,
        customers,
        terminals,
        maxMeanTxPerDay: uniform(rng, 2, 20),
        radius: defaultRadius(terminals) * uniform(rng, 1, 2),
        largeAmountThreshold: uniform(rng, 150, 300),
        compromisedTerminalsPer10k: uniform(rng, 0.5, 4),
        compromisedTerminalDays: pick(rng, [14, 21, 28]),
        compromisedCardsPer5k: uniform(rng, 1.5, 6),
        compromisedCardDays: pick(rng, [7, 14, 21]),
        compromisedCardShare: uniform(rng, 0.2, 0.5),
        compromisedCardMultiplier: uniform(rng, 2, 6),
        compromiseStartDay: rng() < 0.5 ? -1 : null,
        chargebackDelayDays: fixedDelay ? [7, 7] : [1, 7],
        scenario,
        driftDay: options.warmupDays + uniformInt(rng, options.days),
        driftIntensity: uniform(rng, 0.5, 2),
      },
    });
  }
  return out;
}

/**
 * The corpus's labelled rows: each population simulated, every payment through a fresh
 * FeaturePipeline in event-time micro-batches with its chargebacks at their event time (the
 * scorer's features), the days after the warm-up kept with the simulator's truth as the label.
 * Card ids are prefixed with the population (`p3:card-000123`) so populations never share a card.
 */
export async function buildCorpusRows(
  options: CorpusOptions,
  log: (line: string) => void = () => undefined,
): Promise<{ rows: TrainingRow[]; populations: CorpusPopulation[]; end: number }> {
  const populations = corpusPopulations(options);
  const rows: TrainingRow[] = [];
  let end = 0;
  for (const population of populations) {
    const simulator = new TransactionSimulator(population.simulation);
    const pipeline = new FeaturePipeline();
    const keepFrom = simulator.dayStart(options.warmupDays);
    let kept = 0;
    let frauds = 0;
    while (simulator.hasNextDay) {
      const txs: Transaction[] = [];
      const truth: boolean[] = [];
      const labels = [];
      for (const event of simulator.nextDay()) {
        if (event.kind === 'label') labels.push(event.label);
        else {
          txs.push(
            population.channelRecorded
              ? event.transaction
              : { ...event.transaction, channel: 'CARD_PRESENT' },
          );
          truth.push(event.truth.is_fraud);
        }
      }
      await pipeline.applyLabels(labels);
      for (let start = 0; start < txs.length; start += 2048) {
        const batch = txs.slice(start, start + 2048);
        const vectors = await pipeline.computeBatch(batch);
        batch.forEach((tx, j) => {
          if (tx.event_time < keepFrom) return;
          const isFraud = truth[start + j] ?? false;
          rows.push({
            transactionId: `p${population.index}:${tx.transaction_id}`,
            cardId: `p${population.index}:${tx.card_id}`,
            eventTime: tx.event_time,
            features: vectors[j] ?? [],
            isFraud,
          });
          kept++;
          if (isFraud) frauds++;
        });
      }
    }
    end = Math.max(end, simulator.dayStart(simulator.days));
    const s = population.simulation;
    log(
      `population ${population.index}: ${s.customers} cards, ${s.terminals} terminals, up to ${s.maxMeanTxPerDay?.toFixed(1)} payments a day, ` +
        `${s.scenario} from day ${s.driftDay}, chargebacks ${s.chargebackDelayDays?.join('-')} days, channel ${population.channelRecorded ? 'recorded' : 'not recorded'}: ` +
        `${kept.toLocaleString('en-US')} rows, ${((100 * frauds) / Math.max(kept, 1)).toFixed(2)} % fraud`,
    );
  }
  return { rows, populations, end };
}

/** A pretrained model and the corpus it was trained on. */
export interface PretrainedModel {
  readonly trained: BaseTrainingResult;
  readonly rows: number;
  readonly positives: number;
  readonly populations: CorpusPopulation[];
  /** The event time the corpus's labels are known at (a chargeback window after its end). */
  readonly asOf: number;
  readonly corpusSeconds: number;
}

/**
 * `npm run pretrain`'s model: the seeded corpus, then `trainBaseModel` on all of it with the
 * settings' seed. The manifest's creation time is fixed (epoch 0), so the same corpus options,
 * settings and code revision give the same ONNX bytes and manifest.
 */
export async function pretrainModel(input: {
  readonly corpus: CorpusOptions;
  readonly settings: TrainingSettings;
  readonly version: string;
  readonly codeRevision: string;
  readonly log?: (line: string) => void;
}): Promise<PretrainedModel> {
  const started = performance.now();
  const { rows, populations, end } = await buildCorpusRows(input.corpus, input.log);
  const corpusSeconds = (performance.now() - started) / 1000;
  input.log?.(
    `corpus: ${rows.length.toLocaleString('en-US')} rows in ${corpusSeconds.toFixed(0)} s; training`,
  );
  // Truth labels: every row is settled, so the labels are "known" a chargeback window after the end.
  const asOf = end + input.settings.chargebackWindowMs;
  const trained = await trainBaseModel({
    rows,
    asOf,
    version: input.version,
    featureNames: FEATURE_NAMES,
    featureSetVersion: FEATURE_SET_VERSION,
    thresholdPolicy: { kind: 'daily-capacity', value: 100 },
    codeRevision: input.codeRevision,
    settings: input.settings,
    now: new Date(0),
  });
  return {
    trained,
    rows: rows.length,
    positives: rows.filter((r) => r.isFraud).length,
    populations,
    asOf,
    corpusSeconds,
  };
}
