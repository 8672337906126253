/*
 * `npm run bench:rotation`: what a rotation of the card tokenisation key costs the scorer
 * (docs/security.md, "Rotating the key"). From the cutover every card has a new token. One
 * simulated stream (stable scenario) goes through the scorer's FeaturePipeline three times: as it
 * is; with every card renamed from the cutover on (a label renamed by its transaction's time, as
 * the ingress does) and no bridge, so the card windows start empty; and with the bridge (each
 * transaction before the cutover naming the new token in `card_token_next`, as the ingress does
 * once both keys are configured). One MLP trained on the days before the cutover then scores all
 * three, and the AP of each day after it is compared. The model is frozen (no retraining), so the
 * differences are the rotation's alone.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DAY_MS, type Label, type Transaction } from '@fraudstream/contracts';
import { FEATURE_COUNT, FeaturePipeline } from '@fraudstream/features';
import { generateDataset } from '@fraudstream/simulation';
import { averagePrecision } from '@fraudstream/stats';
import { defaultTrainingSettings, initTfjsWasm, type TrainingMatrix } from '@fraudstream/training';
import { trainScratchEpochs } from './datasets/file-protocol';

const USAGE = `npm run bench:rotation -- [options]
  --seed N          simulation and training seed (default 7)
  --customers N     (default 1000)   --terminals N (default 2000)
  --cutover N       first day (0-based) with the new key (default 45); the model trains on days 30 to N-8
                    (mature labels: the 7-day chargeback window; days 0-29 fill the feature windows)
  --after N         days scored after the cutover (default 35: past the 30-day windows' refill)
  --epochs N        training epochs (default 10)
  --json FILE       also write the results as JSON`;

const BATCH = 2_000;

/**
 * Feature vectors of a stream, with each card named by `rename(card, event time)` and, when `next`
 * is given, each transaction naming `next(card, event time)` as its card_token_next.
 */
async function featuresOf(
  transactions: readonly Transaction[],
  labels: readonly Label[],
  rename: (card: string, eventTime: number) => string,
  next: (card: string, eventTime: number) => string | null = () => null,
): Promise<Float32Array> {
  const pipeline = new FeaturePipeline();
  await pipeline.applyLabels(labels.map((l) => ({ ...l, card_id: rename(l.card_id, l.transaction_time) })));
  const values = new Float32Array(transactions.length * FEATURE_COUNT);
  for (let start = 0; start < transactions.length; start += BATCH) {
    const batch = transactions.slice(start, start + BATCH).map((tx) => ({
      ...tx,
      card_id: rename(tx.card_id, tx.event_time),
      card_token_next: next(tx.card_id, tx.event_time),
    }));
    const vectors = await pipeline.computeBatch(batch);
    vectors.forEach((vector, j) => values.set(vector, (start + j) * FEATURE_COUNT));
  }
  return values;
}

function rowsOf(
  values: Float32Array,
  indices: readonly number[],
  isFraud: readonly boolean[],
): TrainingMatrix {
  const x = new Float32Array(indices.length * FEATURE_COUNT);
  const y = new Float32Array(indices.length);
  indices.forEach((index, r) => {
    x.set(values.subarray(index * FEATURE_COUNT, (index + 1) * FEATURE_COUNT), r * FEATURE_COUNT);
    y[r] = isFraud[index] ? 1 : 0;
  });
  return { x, y, rows: indices.length, width: FEATURE_COUNT };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seed: { type: 'string', default: '7' },
      customers: { type: 'string', default: '1000' },
      terminals: { type: 'string', default: '2000' },
      cutover: { type: 'string', default: '45' },
      after: { type: 'string', default: '35' },
      epochs: { type: 'string', default: '10' },
      json: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const seed = Number(values.seed);
  const cutover = Number(values.cutover);
  const after = Number(values.after);
  if (!(cutover >= 38)) throw new Error('--cutover must be at least 38: 30 days of windows, 8 to train on');
  const sim = generateDataset({
    seed,
    days: cutover + after,
    customers: Number(values.customers),
    terminals: Number(values.terminals),
  });
  const start = sim.transactions[0] ? Math.floor(sim.transactions[0].event_time / DAY_MS) * DAY_MS : 0;
  const cutoverTime = start + cutover * DAY_MS;
  const day = (tx: Transaction) => Math.floor((tx.event_time - start) / DAY_MS);
  const isFraud = sim.truth.map((t) => t.is_fraud);
  console.log(
    `[bench:rotation] ${sim.transactions.length.toLocaleString('en-US')} transactions, ${cutover + after} days, cutover at day ${cutover}`,
  );

  const asIs = await featuresOf(sim.transactions, sim.labels, (card) => card);
  const rename = (card: string, t: number) => (t >= cutoverTime ? `${card}:rotated` : card);
  const rotated = await featuresOf(sim.transactions, sim.labels, rename);
  const bridged = await featuresOf(sim.transactions, sim.labels, rename, (card, t) =>
    t < cutoverTime ? `${card}:rotated` : null,
  );

  const train = sim.transactions.flatMap((tx, i) => (day(tx) >= 30 && day(tx) <= cutover - 8 ? [i] : []));
  await initTfjsWasm();
  const settings = { ...defaultTrainingSettings(), seed, baseEpochs: Number(values.epochs) };
  const began = performance.now();
  const network = await trainScratchEpochs(rowsOf(asIs, train, isFraud), settings);
  console.log(
    `[bench:rotation] trained on days 30-${cutover - 8} (${train.length.toLocaleString('en-US')} rows, ${settings.baseEpochs} epochs) in ${((performance.now() - began) / 1000).toFixed(0)} s`,
  );

  const byDay: { day: number; frauds: number; ap_as_is: number; ap_rotated: number; ap_bridged: number }[] =
    [];
  for (let d = cutover; d < cutover + after; d++) {
    const indices = sim.transactions.flatMap((tx, i) => (day(tx) === d ? [i] : []));
    const labels = indices.map((i) => isFraud[i] ?? false);
    const score = (values: Float32Array) => {
      const m = rowsOf(values, indices, isFraud);
      return network.predict(m.x, m.rows);
    };
    byDay.push({
      day: d - cutover,
      frauds: labels.filter(Boolean).length,
      ap_as_is: averagePrecision(score(asIs), labels),
      ap_rotated: averagePrecision(score(rotated), labels),
      ap_bridged: averagePrecision(score(bridged), labels),
    });
  }
  network.dispose();

  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const blocks = [
    [0, 7],
    [7, 14],
    [14, 30],
    [30, after],
  ].filter(([from, to]) => (from ?? 0) < (to ?? 0) && (from ?? 0) < after);
  const summary = blocks.map(([from = 0, to = 0]) => {
    const days = byDay.filter((r) => r.day >= from && r.day < to);
    const asIsAp = mean(days.map((r) => r.ap_as_is));
    const rotatedAp = mean(days.map((r) => r.ap_rotated));
    const bridgedAp = mean(days.map((r) => r.ap_bridged));
    return {
      days_after_cutover: `${from}-${to - 1}`,
      ap_as_is: asIsAp,
      ap_rotated: rotatedAp,
      drop: asIsAp - rotatedAp,
      ap_bridged: bridgedAp,
      drop_bridged: asIsAp - bridgedAp,
    };
  });
  console.log(
    '| days after the cutover | mean AP, no rotation | rotated, no bridge | drop | rotated, bridged | drop |',
  );
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const s of summary)
    console.log(
      `| ${s.days_after_cutover} | ${s.ap_as_is.toFixed(3)} | ${s.ap_rotated.toFixed(3)} | ${s.drop.toFixed(3)} | ${s.ap_bridged.toFixed(3)} | ${s.drop_bridged.toFixed(3)} |`,
    );
  if (values.json)
    writeFileSync(
      values.json,
      `${JSON.stringify({ seed, cutover, after, epochs: settings.baseEpochs, summary, by_day: byDay }, null, 2)}\n`,
    );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
