/*
 * `npm run bench:handbook -- --transactions FILE`: the Fraud Detection Handbook's baseline protocol
 * on a handbook-format file (train week, 7-day delay, test week; card precision@100 as the handbook
 * defines it, cards already known compromised removed from the test week, cards detected on an
 * earlier test day removed), with fraudstream's features (the scorer's FeaturePipeline over the
 * whole file, chargebacks 7 days after each fraud; fs-v2 unless --feature-set names another) and model (the trainer's MLP, its learning rate,
 * fraud weight and epochs chosen on the same protocol a week earlier: on AP for one model, and, as
 * the handbook's chapter 5, each metric on its own), next to the handbook's published table and
 * the card precision a perfect ranking reaches on the test week. docs/benchmarks.md.
 */
import { parseArgs } from 'node:util';
import { loadConfig, processEnv } from '@fraudstream/config';
import { DAY_MS } from '@fraudstream/contracts';
import { describeChargebackDelay, isDatasetFormat, parseChargebackDelay } from '@fraudstream/datasets';
import { FS_V2, featureSetOf } from '@fraudstream/features';
import { initTfjsWasm, trainingConfigFragment, trainingSettingsFrom } from '@fraudstream/training';
import { BENCH_TRAINING_DEFAULTS, HANDBOOK_BASELINES, HANDBOOK_DATASET } from './datasets/handbook-baselines';
import {
  averagePrecisionWithScenarioFirst,
  cardPrecisionBound,
  cardsTiedAtCut,
  evaluateIndices,
  handbookTrainTest,
  loadLabelledFile,
  matrixOf,
  meanLogit,
  scenarioRecall,
  trainScratchEpochs,
  validationWindow,
  type FileMetrics,
  type ProtocolWindow,
  type ScenarioRecall,
} from './datasets/file-protocol';
import { jsonPathFromArgs, reportBench, type BenchValue } from './support/bench-report';

const USAGE = `npm run bench:handbook -- --transactions FILE [options]
  --transactions FILE   a handbook-format file (npm run simulate -- --handbook-csv FILE writes one)
  --format NAME         handbook (default) or fraudstream
  --label-delay MODEL   chargeback model for the feature pipeline (default fixed:7, the handbook's delay)
  --feature-set V       the feature set computed: fs-v2 (default: with the delayed terminal windows) or fs-v1
  --train-start DATE    first training day (default 2018-07-25)
  --train-days N, --delay-days N, --test-days N   (default 7, 7, 7)
  --seeds LIST          training seeds (default 42,43,44); the table shows each and their mean
  --learning-rates LIST candidate learning rates (default TRAINER_BASE_LEARNING_RATE, 0.01 here)
  --positive-weights LIST  candidate weights of the fraud class (default 1: no class weights)
  --max-epochs N        most epochs the selection tries (default 20)
  --k N                 card precision@k (default 100)
  --json FILE           results (default bench-results/handbook.json)`;

const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / Math.max(values.length, 1);
const f3 = (v: number) => v.toFixed(3);

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const { values } = parseArgs({
    args: argv,
    options: {
      transactions: { type: 'string' },
      format: { type: 'string', default: 'handbook' },
      'label-delay': { type: 'string', default: 'fixed:7' },
      'feature-set': { type: 'string', default: FS_V2.version },
      'train-start': { type: 'string', default: '2018-07-25' },
      'train-days': { type: 'string', default: '7' },
      'delay-days': { type: 'string', default: '7' },
      'test-days': { type: 'string', default: '7' },
      seeds: { type: 'string', default: '42,43,44' },
      'learning-rates': { type: 'string' },
      'positive-weights': { type: 'string', default: '1' },
      'max-epochs': { type: 'string', default: '20' },
      k: { type: 'string', default: '100' },
      json: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help || !values.transactions) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  const format = values.format;
  if (!isDatasetFormat(format)) throw new Error(`--format: ${format}`);
  const chargebackDelay = parseChargebackDelay(values['label-delay']);
  const featureSet = featureSetOf(values['feature-set']);
  const k = Number(values.k);
  const seeds = values.seeds.split(',').map(Number);
  const began = performance.now();

  // The file's day 0 is its first transaction's day; the protocol's days count from it.
  const trainStart = Date.parse(`${values['train-start']}T00:00:00Z`);
  const probe = {
    trainDays: Number(values['train-days']),
    delayDays: Number(values['delay-days']),
    testDays: Number(values['test-days']),
  };
  const file = await loadLabelledFile({
    path: values.transactions,
    format,
    chargebackDelay,
    keepDay: () => true,
    log: (line) => console.log(line),
    featureSet,
  });
  const window: ProtocolWindow = { trainStartDay: Math.round((trainStart - file.start) / DAY_MS), ...probe };
  const { train, test } = handbookTrainTest(file, window);
  const trainMatrix = matrixOf(file, train);
  const testMatrix = matrixOf(file, test);
  const frauds = (y: Float32Array) => y.reduce((a, b) => a + b, 0);
  // Model selection as the handbook's chapter 5: the same protocol a week earlier (its test week
  // ends the day before ours starts) picks the learning rate and the epochs; the test week never does.
  const selectionWindow = validationWindow(window);
  const selection = handbookTrainTest(file, selectionWindow);
  const selectionTrain = matrixOf(file, selection.train);
  const selectionTest = matrixOf(file, selection.test);
  console.log(
    `protocol: train ${train.length.toLocaleString('en-US')} transactions (${frauds(trainMatrix.y)} frauds) from day ${window.trainStartDay}, ` +
      `test ${test.length.toLocaleString('en-US')} (${frauds(testMatrix.y)} frauds) from day ${window.trainStartDay + probe.trainDays + probe.delayDays}; ` +
      `selection: train ${selection.train.length.toLocaleString('en-US')} (${frauds(selectionTrain.y)} frauds) from day ${selectionWindow.trainStartDay}, ` +
      `validation ${selection.test.length.toLocaleString('en-US')} (${frauds(selectionTest.y)} frauds)`,
  );

  // CP@k counts compromised cards per day over k: a week with fewer of them caps every model lower.
  const bound = cardPrecisionBound(file, test, k);
  const selectionBound = cardPrecisionBound(file, selection.test, k);
  console.log(
    `test week: compromised cards by day ${bound.compromised_cards_by_day.join(', ')}; a perfect ranking's CP@${k} ${f3(bound.oracle_card_precision_at_k)} ` +
      `(selection week: ${selectionBound.compromised_cards_by_day.join(', ')}; ${f3(selectionBound.oracle_card_precision_at_k)})`,
  );

  const env = { ...BENCH_TRAINING_DEFAULTS, ...processEnv() };
  const base = trainingSettingsFrom(loadConfig(trainingConfigFragment, env));
  const learningRates = (values['learning-rates'] ?? String(base.baseLearningRate)).split(',').map(Number);
  const positiveWeights = values['positive-weights'].split(',').map(Number);
  const maxEpochs = Number(values['max-epochs']);
  const weighting = (positiveWeight: number) =>
    positiveWeight === 1 ? base.classWeighting : { positiveWeight };
  await initTfjsWasm();

  // Validation AUC, AP and CP@k after every epoch, for each learning rate, class weight and seed.
  // As the handbook's chapter 5 (`get_summary_performances`), each metric has its own choice: the
  // (learning rate, class weight, epochs) of its best mean over the seeds; the test week reports
  // each metric of the model chosen on it. AP's choice is also reported for all three metrics (one
  // model, the one a deployment would ship).
  type Candidate = {
    learning_rate: number;
    positive_weight: number;
    epochs: number;
    validation_roc_auc: number[];
    validation_ap: number[];
    validation_cp: number[];
  };
  const candidates: Candidate[] = [];
  for (const learningRate of learningRates)
    for (const positiveWeight of positiveWeights) {
      const curve = Array.from({ length: maxEpochs }, () => ({
        auc: [] as number[],
        ap: [] as number[],
        cp: [] as number[],
      }));
      for (const seed of seeds) {
        const t0 = performance.now();
        const settings = {
          ...base,
          seed,
          baseLearningRate: learningRate,
          classWeighting: weighting(positiveWeight),
          baseEpochs: maxEpochs,
        };
        const network = await trainScratchEpochs(selectionTrain, settings, (epoch, net) => {
          const scores = net.predict(selectionTest.x, selectionTest.rows);
          const m = evaluateIndices(file, selection.test, scores, k);
          curve[epoch - 1]?.auc.push(m.roc_auc);
          curve[epoch - 1]?.ap.push(m.average_precision);
          curve[epoch - 1]?.cp.push(m.card_precision_at_k);
        });
        network.dispose();
        const seedCurve = (key: 'ap' | 'cp') => curve.map((c) => f3(c[key].at(-1) ?? Number.NaN)).join(' ');
        console.log(
          `selection: learning rate ${learningRate}, fraud weight ${positiveWeight}, seed ${seed}: validation AP by epoch ${seedCurve('ap')}; CP@${k} ${seedCurve('cp')} (${((performance.now() - t0) / 1000).toFixed(0)} s)`,
        );
      }
      curve.forEach((c, i) =>
        candidates.push({
          learning_rate: learningRate,
          positive_weight: positiveWeight,
          epochs: i + 1,
          validation_roc_auc: c.auc,
          validation_ap: c.ap,
          validation_cp: c.cp,
        }),
      );
    }
  const bestBy = (key: 'validation_roc_auc' | 'validation_ap' | 'validation_cp') =>
    candidates.reduce((a, b) => (mean(b[key]) > mean(a[key]) ? b : a));
  const chosen = bestBy('validation_ap');
  const chosenBy = {
    roc_auc: bestBy('validation_roc_auc'),
    average_precision: chosen,
    card_precision_at_k: bestBy('validation_cp'),
  };
  const describe = (c: Candidate) =>
    `learning rate ${c.learning_rate}, fraud weight ${c.positive_weight}, ${c.epochs} epochs`;
  console.log(
    `selected on AP: ${describe(chosen)} (validation AP ${f3(mean(chosen.validation_ap))}); ` +
      `on CP@${k}: ${describe(chosenBy.card_precision_at_k)} (validation CP@${k} ${f3(mean(chosenBy.card_precision_at_k.validation_cp))}); ` +
      `on AUC: ${describe(chosenBy.roc_auc)}`,
  );

  const runs: (FileMetrics & {
    seed: number;
    epochs: number;
    seconds: number;
    cards_tied_at_cut_by_day: number[];
    by_scenario: (ScenarioRecall & { average_precision_if_ranked_first: number })[];
  })[] = [];
  const perMetricRuns: {
    seed: number;
    roc_auc: number;
    average_precision: number;
    card_precision_at_k: number;
  }[] = [];
  const choices = Object.values(chosenBy);
  const chosenScores: (Float32Array | number[])[] = [];
  for (const seed of seeds) {
    const t0 = performance.now();
    // One training per (learning rate, class weight) chosen, read at each chosen epoch count: a
    // run's first n epochs are the n-epoch run (same seed, same batches, no early stopping).
    const at = new Map<Candidate, Float32Array | number[]>();
    for (const setting of new Set(choices.map((c) => `${c.learning_rate}/${c.positive_weight}`))) {
      const sharing = choices.filter((c) => `${c.learning_rate}/${c.positive_weight}` === setting);
      const first = sharing[0] ?? chosen;
      const settings = {
        ...base,
        seed,
        baseLearningRate: first.learning_rate,
        classWeighting: weighting(first.positive_weight),
        baseEpochs: Math.max(...sharing.map((c) => c.epochs)),
      };
      const network = await trainScratchEpochs(trainMatrix, settings, (epoch, net) => {
        const due = sharing.filter((c) => c.epochs === epoch);
        if (due.length === 0) return;
        const scores = net.predict(testMatrix.x, testMatrix.rows);
        for (const c of due) at.set(c, scores);
      });
      network.dispose();
    }
    const scoresOf = (c: Candidate) => {
      const scores = at.get(c);
      if (!scores) throw new Error(`no test scores for ${describe(c)}`);
      return scores;
    };
    const scores = scoresOf(chosen);
    chosenScores.push(scores);
    const metrics = evaluateIndices(file, test, scores, k);
    const tied = cardsTiedAtCut(file, test, scores, k);
    const byScenario = scenarioRecall(file, test, scores).map((r) => ({
      ...r,
      average_precision_if_ranked_first: averagePrecisionWithScenarioFirst(file, test, scores, r.scenario),
    }));
    runs.push({
      ...metrics,
      seed,
      epochs: chosen.epochs,
      seconds: (performance.now() - t0) / 1000,
      cards_tied_at_cut_by_day: tied,
      by_scenario: byScenario,
    });
    const perMetric = {
      seed,
      roc_auc: evaluateIndices(file, test, scoresOf(chosenBy.roc_auc), k).roc_auc,
      average_precision: metrics.average_precision,
      card_precision_at_k: evaluateIndices(file, test, scoresOf(chosenBy.card_precision_at_k), k)
        .card_precision_at_k,
    };
    perMetricRuns.push(perMetric);
    console.log(
      `seed ${seed}: AUC ${f3(metrics.roc_auc)}  AP ${f3(metrics.average_precision)}  CP@${k} ${f3(metrics.card_precision_at_k)} ` +
        `(by day ${metrics.card_precision_by_day.map((p) => p.toFixed(2)).join(' ')}; ${f3(metrics.card_precision_at_k / bound.oracle_card_precision_at_k)} of a perfect ranking's; cards tied at the cut by day ${tied.join(' ')}); ` +
        `each metric's own choice: AUC ${f3(perMetric.roc_auc)}  AP ${f3(perMetric.average_precision)}  CP@${k} ${f3(perMetric.card_precision_at_k)}  ` +
        `recall in the top ${metrics.frauds}: ${byScenario.map((r) => `${r.scenario} ${r.detected}/${r.frauds} (AP ${f3(r.average_precision_if_ranked_first)} if all first)`).join(', ')}`,
    );
  }
  const ours = {
    roc_auc: mean(runs.map((r) => r.roc_auc)),
    average_precision: mean(runs.map((r) => r.average_precision)),
    card_precision_at_k: mean(runs.map((r) => r.card_precision_at_k)),
  };
  const perMetricMean = {
    roc_auc: mean(perMetricRuns.map((r) => r.roc_auc)),
    average_precision: mean(perMetricRuns.map((r) => r.average_precision)),
    card_precision_at_k: mean(perMetricRuns.map((r) => r.card_precision_at_k)),
  };
  // The seeds' models as one: the mean of their logits, which is what MlpNetwork.ensemble serves as
  // a single MLP of side-by-side blocks (the same inputs and standardisation: one training set).
  const ensemble = chosenScores.length > 1 ? evaluateIndices(file, test, meanLogit(chosenScores), k) : null;
  if (ensemble)
    console.log(
      `ensemble of the ${chosenScores.length} seeds (mean logit): AUC ${f3(ensemble.roc_auc)}  AP ${f3(ensemble.average_precision)}  CP@${k} ${f3(ensemble.card_precision_at_k)} ` +
        `(by day ${ensemble.card_precision_by_day.map((p) => p.toFixed(2)).join(' ')}; ${f3(ensemble.card_precision_at_k / bound.oracle_card_precision_at_k)} of a perfect ranking's)`,
    );
  type MetricKey = 'roc_auc' | 'average_precision' | 'card_precision_at_k';
  const spreadOf = (rows: readonly Record<MetricKey, number>[], key: MetricKey) =>
    `${f3(Math.min(...rows.map((r) => r[key])))}-${f3(Math.max(...rows.map((r) => r[key])))}`;
  const spread = (key: MetricKey) => spreadOf(runs, key);

  const best = HANDBOOK_BASELINES.reduce((a, b) => (b.average_precision > a.average_precision ? b : a));
  const bestCp = HANDBOOK_BASELINES.reduce((a, b) =>
    b.card_precision_at_100 > a.card_precision_at_100 ? b : a,
  );
  const lines = [
    '',
    `model                                         AUC ROC   AP      CP@${k}`,
    ...HANDBOOK_BASELINES.map(
      (b) =>
        `handbook: ${b.model.padEnd(36)} ${f3(b.roc_auc)}     ${f3(b.average_precision)}   ${f3(b.card_precision_at_100)}`,
    ),
    `${`fraudstream MLP, ${featureSet.version} (mean of ${runs.length} seeds)`.padEnd(47)}${f3(ours.roc_auc)}     ${f3(ours.average_precision)}   ${f3(ours.card_precision_at_k)}`,
    `  seeds ${seeds.join(', ')}: AUC ${spread('roc_auc')}, AP ${spread('average_precision')}, CP@${k} ${spread('card_precision_at_k')}`,
    `${`  each metric at its own selection`.padEnd(47)}${f3(perMetricMean.roc_auc)}     ${f3(perMetricMean.average_precision)}   ${f3(perMetricMean.card_precision_at_k)}`,
    `  seeds ${seeds.join(', ')}: AUC ${spreadOf(perMetricRuns, 'roc_auc')}, AP ${spreadOf(perMetricRuns, 'average_precision')}, CP@${k} ${spreadOf(perMetricRuns, 'card_precision_at_k')}`,
    ...(ensemble
      ? [
          `${`fraudstream MLP, ensemble of the ${chosenScores.length} seeds`.padEnd(47)}${f3(ensemble.roc_auc)}     ${f3(ensemble.average_precision)}   ${f3(ensemble.card_precision_at_k)}`,
        ]
      : []),
    `${'a perfect ranking (the cap of this test week)'.padEnd(47)}1.000     1.000   ${f3(bound.oracle_card_precision_at_k)}`,
    '',
  ];
  console.log(lines.join('\n'));
  const d = file.dataset;
  const scenarioCount = (name: string) => d.scenarios.filter((s) => s === name).length;
  const results: Record<string, BenchValue> = {
    file: values.transactions,
    feature_set: featureSet.version,
    file_counts: {
      transactions: d.stats.transactions,
      frauds: d.stats.frauds,
      fraud_rate: d.stats.frauds / Math.max(1, d.stats.transactions),
      large_amount: scenarioCount('large-amount'),
      compromised_terminal: scenarioCount('compromised-terminal'),
      compromised_card: scenarioCount('compromised-card'),
      cards: new Set(d.transactions.map((t) => t.card_id)).size,
      terminals: new Set(d.transactions.map((t) => t.terminal_id)).size,
    },
    published_counts: { ...HANDBOOK_DATASET, by_scenario: { ...HANDBOOK_DATASET.by_scenario } },
    protocol: {
      train_start_day: window.trainStartDay,
      train_days: probe.trainDays,
      delay_days: probe.delayDays,
      test_days: probe.testDays,
      label_delay: describeChargebackDelay(chargebackDelay),
      train_rows: train.length,
      selection_train_start_day: selectionWindow.trainStartDay,
      selection_train_rows: selection.train.length,
      selection_validation_rows: selection.test.length,
      test_rows: test.length,
      test_frauds: runs[0]?.frauds ?? 0,
      k,
      compromised_cards_by_day: bound.compromised_cards_by_day,
      oracle_card_precision_at_k: bound.oracle_card_precision_at_k,
      selection_compromised_cards_by_day: selectionBound.compromised_cards_by_day,
      selection_oracle_card_precision_at_k: selectionBound.oracle_card_precision_at_k,
    },
    hidden_units: base.hiddenUnits.join(','),
    class_weighting: typeof base.classWeighting === 'string' ? base.classWeighting : 'positive-weight',
    selection: {
      learning_rates: learningRates,
      positive_weights: positiveWeights,
      positive_weight: chosen.positive_weight,
      max_epochs: maxEpochs,
      learning_rate: chosen.learning_rate,
      epochs: chosen.epochs,
      validation_average_precision: mean(chosen.validation_ap),
      card_precision: {
        learning_rate: chosenBy.card_precision_at_k.learning_rate,
        positive_weight: chosenBy.card_precision_at_k.positive_weight,
        epochs: chosenBy.card_precision_at_k.epochs,
        validation_card_precision_at_k: mean(chosenBy.card_precision_at_k.validation_cp),
      },
      roc_auc: {
        learning_rate: chosenBy.roc_auc.learning_rate,
        positive_weight: chosenBy.roc_auc.positive_weight,
        epochs: chosenBy.roc_auc.epochs,
        validation_roc_auc: mean(chosenBy.roc_auc.validation_roc_auc),
      },
      candidates: candidates.map((c) => ({
        ...c,
        mean: mean(c.validation_ap),
        mean_cp: mean(c.validation_cp),
        mean_roc_auc: mean(c.validation_roc_auc),
      })),
    },
    runs: runs.map((r) => ({
      ...r,
      card_precision_share_of_oracle: r.card_precision_at_k / bound.oracle_card_precision_at_k,
      by_scenario: r.by_scenario.map((b) => ({ ...b })),
    })),
    fraudstream: ours,
    fraudstream_each_metric_at_its_own_selection: perMetricMean,
    fraudstream_ensemble: ensemble
      ? {
          roc_auc: ensemble.roc_auc,
          average_precision: ensemble.average_precision,
          card_precision_at_k: ensemble.card_precision_at_k,
          card_precision_by_day: ensemble.card_precision_by_day,
          card_precision_share_of_oracle: ensemble.card_precision_at_k / bound.oracle_card_precision_at_k,
        }
      : null,
    per_metric_runs: perMetricRuns.map((r) => ({ ...r })),
    handbook: HANDBOOK_BASELINES.map((b) => ({ ...b })),
    goals: {
      average_precision_at_least_best_baseline: ours.average_precision >= best.average_precision,
      best_baseline_average_precision: best.average_precision,
      average_precision_at_least_xgboost_baseline: ours.average_precision >= 0.639,
      card_precision_at_least_best_baseline: ours.card_precision_at_k >= bestCp.card_precision_at_100,
      card_precision_at_own_selection_at_least_best_baseline:
        perMetricMean.card_precision_at_k >= bestCp.card_precision_at_100,
      best_baseline_card_precision: bestCp.card_precision_at_100,
    },
    seconds: (performance.now() - began) / 1000,
  };
  reportBench('Fraud Detection Handbook baseline protocol', jsonPathFromArgs(argv, 'handbook'), results);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  },
);
