/*
 * `npm run bench:novelty`: the drift monitor's novelty test on a manifest's fraud centroids against
 * the same test on the raw frauds it replaced (docs/drift.md, "A domain classifier on the fraud class").
 *
 * Per seed, a simulated population with the new fraud pattern from day --drift-day (every label
 * known). The reference is the frauds of the --reference-days days before the onset, as the trainer
 * summarises them (buildNoveltyReference, groups of at least k frauds, for each --group-sizes k) and
 * as older manifests carried them (raw vectors, the distance to the 3rd-nearest fraud). Every fraud
 * of the days after the onset is scored by each index; the table gives the share with p <= 0.01
 * (a seed of the monitor) among the new pattern's frauds (to be found) and among the old patterns'
 * frauds (false seeds), and the domain AUC of the old patterns' frauds (0.5: they look like the
 * reference). The simulator's ground truth names each fraud's pattern; the monitor never sees it.
 */
import { parseArgs } from 'node:util';
import { cpus } from 'node:os';
import { DAY_MS } from '@fraudstream/contracts';
import { FraudNoveltyIndex, type FraudNoveltyReference } from '@fraudstream/drift';
import { FeaturePipeline, FEATURE_NAMES } from '@fraudstream/features';
import { generateDataset } from '@fraudstream/simulation';
import { buildNoveltyReference, logFeatureRows, type TrainingRow } from '@fraudstream/training';
import { jsonPathFromArgs, reportBench, type BenchValue, runBench } from './support/bench-report';
import { BENCH_START } from './support/simulated-rows';

const USAGE = `npm run bench:novelty -- [options]
  --seeds A,B,C         simulator seeds (default 7,11,13)
  --group-sizes A,B     smallest group a centroid stands for (default 3,5,10)
  --customers N         cards (default 1000)
  --warmup-days N       days simulated only to fill the feature windows (default 30)
  --reference-days N    days of frauds in the reference, before the onset (default 14)
  --after-days N        days scored after the onset (default 14)
  --alpha P             the seed's p-value bound (default 0.01, DRIFT_EVIDENCE_SEED_ALPHA)
  --json FILE           results (default bench-results/novelty.json)`;

const OPTIONS = {
  seeds: { type: 'string' },
  'group-sizes': { type: 'string' },
  customers: { type: 'string' },
  'warmup-days': { type: 'string' },
  'reference-days': { type: 'string' },
  'after-days': { type: 'string' },
  alpha: { type: 'string' },
  json: { type: 'string' },
  help: { type: 'boolean' },
} as const;

const round = (x: number): number => Number(x.toFixed(4));

function ints(raw: string | undefined, fallback: string, what: string): number[] {
  const values = (raw ?? fallback).split(',').map((s) => Number(s.trim()));
  if (values.some((v) => !Number.isInteger(v) || v < 1)) throw new Error(`--${what} takes positive integers`);
  return values;
}

function log(line: string): void {
  console.error(`[bench:novelty] ${line}`);
}

interface Scored {
  readonly features: readonly number[];
  readonly newPattern: boolean;
}

function measure(
  reference: FraudNoveltyReference,
  frauds: readonly Scored[],
  alpha: number,
): Record<string, number> {
  const built = performance.now();
  const index = new FraudNoveltyIndex(reference);
  const buildMs = performance.now() - built;
  const share = (rows: readonly Scored[]) =>
    rows.length === 0
      ? Number.NaN
      : rows.filter((r) => index.novelty(r.features).pValue <= alpha).length / rows.length;
  const newOnes = frauds.filter((f) => f.newPattern);
  const oldOnes = frauds.filter((f) => !f.newPattern);
  const oldDistances = oldOnes.map((f) => index.kthDistance(index.project(f.features)));
  return {
    points: (reference.centroids ?? reference.frauds ?? []).length,
    new_pattern_seed_share: round(share(newOnes)),
    old_pattern_seed_share: round(share(oldOnes)),
    old_pattern_domain_auc: round(index.domainAuc(oldDistances)?.auc ?? Number.NaN),
    index_build_ms: round(buildMs),
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: OPTIONS, strict: true });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const seeds = ints(values.seeds, '7,11,13', 'seeds');
  const groupSizes = ints(values['group-sizes'], '3,5,10', 'group-sizes');
  const [customers = 1000] = ints(values.customers, '1000', 'customers');
  const [warmupDays = 30] = ints(values['warmup-days'], '30', 'warmup-days');
  const [referenceDays = 14] = ints(values['reference-days'], '14', 'reference-days');
  const [afterDays = 14] = ints(values['after-days'], '14', 'after-days');
  const alpha = Number(values.alpha ?? 0.01);
  const onset = warmupDays + referenceDays;
  const started = performance.now();
  const runs: Record<string, BenchValue> = {};
  const table = [
    '| seed | reference | points | new pattern p <= alpha | old patterns p <= alpha | old patterns domain AUC |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  for (const seed of seeds) {
    const dataset = generateDataset({
      seed,
      days: onset + afterDays,
      startTime: BENCH_START,
      customers,
      terminals: 2 * customers,
      maxMeanTxPerDay: 10,
      scenario: 'new-fraud-pattern',
      driftDay: onset,
      chargebackDelayDays: [1, 3],
    });
    const pipeline = new FeaturePipeline();
    await pipeline.applyLabels(dataset.labels);
    const logged = await logFeatureRows(pipeline, dataset.transactions, 'bench');
    const truth = new Map(dataset.truth.map((t) => [t.transaction_id, t]));
    const day = (t: number) => Math.floor((t - BENCH_START) / DAY_MS);
    const referenceRows: TrainingRow[] = [];
    const after: Scored[] = [];
    for (const s of logged) {
      const d = day(s.event_time);
      const t = truth.get(s.transaction_id);
      if (d >= warmupDays && d < onset)
        referenceRows.push({
          transactionId: s.transaction_id,
          cardId: s.card_id,
          eventTime: s.event_time,
          features: s.features,
          isFraud: t?.is_fraud ?? false,
        });
      else if (d >= onset && t?.is_fraud)
        after.push({ features: s.features, newPattern: t.scenario === 'new-pattern' });
    }
    const raw = buildNoveltyReference(referenceRows, FEATURE_NAMES, [], groupSizes[0] ?? 5);
    const frauds = referenceRows.filter((r) => r.isFraud);
    const legacy: FraudNoveltyReference = {
      features: raw.features,
      centre: raw.centre,
      scale: raw.scale,
      frauds: frauds.slice(0, 2000).map((r) => r.features),
    };
    const seedRuns: Record<string, BenchValue> = {
      reference_frauds: frauds.length,
      new_pattern_frauds: after.filter((f) => f.newPattern).length,
      old_pattern_frauds: after.filter((f) => !f.newPattern).length,
    };
    const variants: [string, FraudNoveltyReference][] = [
      ['raw frauds (k-th nearest, before)', legacy],
      ...groupSizes.map((k): [string, FraudNoveltyReference] => [
        `centroids of >= ${k}`,
        buildNoveltyReference(referenceRows, FEATURE_NAMES, [], k),
      ]),
    ];
    for (const [name, reference] of variants) {
      const m = measure(reference, after, alpha);
      seedRuns[name] = m;
      table.push(
        `| ${seed} | ${name} | ${m.points} | ${m.new_pattern_seed_share} | ${m.old_pattern_seed_share} | ${m.old_pattern_domain_auc} |`,
      );
    }
    log(`seed ${seed}: ${frauds.length} reference frauds, ${after.length} frauds after the onset`);
    runs[String(seed)] = seedRuns;
  }
  reportBench('bench:novelty', jsonPathFromArgs(process.argv, 'novelty'), {
    cpus: cpus().length,
    customers,
    warmup_days: warmupDays,
    reference_days: referenceDays,
    after_days: afterDays,
    alpha,
    runs,
    seconds: round((performance.now() - started) / 1000),
  });
  console.log(`\n${table.join('\n')}`);
}

runBench(main);
