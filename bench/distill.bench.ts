/*
 * `npm run bench:distill`: knowledge distillation for compressed serving (docs/trainer.md).
 *
 * Per seed, one simulated population (every label known): days 0 to 13 train, 14-15 stop early,
 * 16 to --days − 1 are scored. For each teacher:student pair of hidden layers:
 *   - teacher: trained on the labels (the base model's schedule);
 *   - distilled student: trained on (1 − w) · label + w · teacher's probability (libs/training
 *     distillStudent, w = --teacher-weight), with the teacher's standardisation;
 *   - plain student: the student's shape trained on the labels alone (what distillation must beat);
 * their AP on the scored days, the distillation gate (student AP loss against the teacher <=
 * GATE_MAX_QUANTIZATION_AP_LOSS's 0.005 default, --max-ap-loss), and rows/s of each through
 * onnxruntime (one CPU thread, batches of --batch rows, --repeats interleaved runs, median/min/max,
 * and the student/teacher ratio of each run).
 */
import { parseArgs } from 'node:util';
import { cpus } from 'node:os';
import * as ort from 'onnxruntime-node';
import { buildMlpOnnx } from '@fraudstream/model';
import {
  baseTrainOptions,
  MlpNetwork,
  computeStandardisation,
  decideDistillationGate,
  defaultTrainingSettings,
  distillStudent,
  initTfjsWasm,
  toTrainingMatrix,
  trainMlp,
  type TrainOptions,
  type TrainingMatrix,
} from '@fraudstream/training';
import { jsonPathFromArgs, reportBench, type BenchValue, runBench } from './support/bench-report';
import { apOn, rowsOfDays, simulatedLabelledRows, spread } from './support/simulated-rows';

const USAGE = `npm run bench:distill -- [options]
  --seeds A,B,C         simulator seeds (default 7,11,13)
  --pairs T:S,...       teacher:student hidden layers, layers joined by x (default 128x64:32x16,32x16:8)
  --teacher-weight W    the teacher's share of each target (default 0.5)
  --max-ap-loss L       the gate's tolerance against the teacher (default 0.005)
  --customers N         cards (default 1000)
  --days N              days (default 21: 14 train, 2 early stopping, the rest scored)
  --warmup-days N       days simulated only to fill the feature windows (default 10)
  --batch N             rows per onnxruntime run (default 512)
  --repeats N           interleaved throughput runs (default 3)
  --json FILE           results (default bench-results/distill.json)`;

const OPTIONS = {
  seeds: { type: 'string' },
  pairs: { type: 'string' },
  'teacher-weight': { type: 'string' },
  'max-ap-loss': { type: 'string' },
  customers: { type: 'string' },
  days: { type: 'string' },
  'warmup-days': { type: 'string' },
  batch: { type: 'string' },
  repeats: { type: 'string' },
  json: { type: 'string' },
  help: { type: 'boolean' },
} as const;

const TRAIN_DAYS = 14;
const STOP_DAYS = 2;

const round = (x: number): number => Number(x.toFixed(4));

function log(line: string): void {
  console.error(`[bench:distill] ${line}`);
}

function positiveInt(raw: string | undefined, fallback: number, what: string): number {
  const value = raw === undefined ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${what} must be a positive integer`);
  return value;
}

function layers(text: string): number[] {
  const units = text.split('x').map(Number);
  if (units.some((u) => !Number.isInteger(u) || u < 1)) throw new Error(`bad hidden layers "${text}"`);
  return units;
}

/** Rows per second of each model through onnxruntime, runs interleaved so load hits all alike. */
async function throughput(
  models: readonly Uint8Array[],
  x: Float32Array,
  width: number,
  batch: number,
  repeats: number,
): Promise<number[][]> {
  const sessions = await Promise.all(
    models.map((m) => ort.InferenceSession.create(m, { intraOpNumThreads: 1, interOpNumThreads: 1 })),
  );
  const rows = Math.floor(x.length / width);
  const batches = Math.max(1, Math.floor(rows / batch));
  const tensors = Array.from(
    { length: batches },
    (_, b) => new ort.Tensor('float32', x.slice(b * batch * width, (b + 1) * batch * width), [batch, width]),
  );
  const rates: number[][] = models.map(() => []);
  for (let r = 0; r < repeats; r++) {
    for (const [i, session] of sessions.entries()) {
      for (const t of tensors.slice(0, 5)) await session.run({ features: t }); // warm-up
      const started = performance.now();
      let scored = 0;
      // At least a second of work per measurement.
      while (performance.now() - started < 1000) {
        for (const t of tensors) await session.run({ features: t });
        scored += batches * batch;
      }
      rates[i]?.push(scored / ((performance.now() - started) / 1000));
    }
  }
  await Promise.all(sessions.map((s) => s.release()));
  return rates;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: OPTIONS, strict: true });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const seeds = (values.seeds ?? '7,11,13').split(',').map((s) => positiveInt(s, 0, 'seeds'));
  const pairs = (values.pairs ?? '128x64:32x16,32x16:8').split(',').map((p) => {
    const [teacher = '', student = ''] = p.split(':');
    return { teacher: layers(teacher), student: layers(student) };
  });
  const teacherWeight = Number(values['teacher-weight'] ?? 0.5);
  const maxApLoss = Number(values['max-ap-loss'] ?? 0.005);
  if (!(teacherWeight >= 0 && teacherWeight <= 1)) throw new Error('--teacher-weight must be in [0, 1]');
  const customers = positiveInt(values.customers, 1000, 'customers');
  const days = positiveInt(values.days, 21, 'days');
  const warmupDays = positiveInt(values['warmup-days'], 10, 'warmup-days');
  const batch = positiveInt(values.batch, 512, 'batch');
  const repeats = positiveInt(values.repeats, 3, 'repeats');
  if (days <= TRAIN_DAYS + STOP_DAYS) throw new Error(`--days must be above ${TRAIN_DAYS + STOP_DAYS}`);
  await initTfjsWasm();
  const settings = defaultTrainingSettings();
  const options: TrainOptions = baseTrainOptions(settings);
  const started = performance.now();
  const runs: Record<string, BenchValue> = {};
  const table = [
    '| seed | teacher | student | AP teacher | AP distilled | AP plain student | gate (loss) | rows/s teacher | rows/s student | ratio |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const seed of seeds) {
    const { rows, start } = await simulatedLabelledRows({
      seed,
      customers,
      days,
      warmupDays,
      scenario: 'stable',
      driftDay: days,
    });
    const width = rows[0]?.features.length ?? 0;
    const train = toTrainingMatrix(rowsOfDays(rows, start, 0, TRAIN_DAYS), width);
    const stop = toTrainingMatrix(rowsOfDays(rows, start, TRAIN_DAYS, TRAIN_DAYS + STOP_DAYS), width);
    const scored = rowsOfDays(rows, start, TRAIN_DAYS + STOP_DAYS, days);
    const scoredMatrix: TrainingMatrix = toTrainingMatrix(scored, width);
    const { mean, std } = computeStandardisation(train);
    const fresh = (hiddenUnits: readonly number[]) =>
      MlpNetwork.create({ mean, std, hiddenUnits, seed: settings.seed });
    const seedRuns: Record<string, BenchValue> = {
      train_rows: train.rows,
      scored_rows: scored.length,
      scored_frauds: scored.filter((r) => r.isFraud).length,
    };
    for (const pair of pairs) {
      const name = `${pair.teacher.join('x')}:${pair.student.join('x')}`;
      const teacher = fresh(pair.teacher);
      await trainMlp(teacher, train, stop, options);
      const { student } = await distillStudent({
        teacher,
        train,
        validation: stop,
        hiddenUnits: pair.student,
        teacherWeight,
        options,
      });
      const plain = fresh(pair.student);
      await trainMlp(plain, train, stop, options);
      const apTeacher = apOn(teacher, scored);
      const apStudent = apOn(student, scored);
      const apPlain = apOn(plain, scored);
      const frauds = scored.filter((r) => r.isFraud).length;
      const gate = decideDistillationGate(
        { average_precision: apTeacher, rows: scored.length, positives: frauds },
        { average_precision: apStudent },
        maxApLoss,
      );
      const [teacherRates = [], studentRates = []] = await throughput(
        [buildMlpOnnx(teacher.toSpec()), buildMlpOnnx(student.toSpec())],
        scoredMatrix.x,
        width,
        batch,
        repeats,
      );
      const ratios = studentRates.map((s, i) => s / (teacherRates[i] ?? Number.NaN));
      const t = spread(teacherRates);
      const s = spread(studentRates);
      const q = spread(ratios);
      seedRuns[name] = {
        ap_teacher: round(apTeacher),
        ap_distilled_student: round(apStudent),
        ap_plain_student: round(apPlain),
        gate_passed: gate.passed,
        gate_ap_loss: round(gate.apLoss),
        rows_per_s_teacher: { median: Math.round(t.median), min: Math.round(t.min), max: Math.round(t.max) },
        rows_per_s_student: { median: Math.round(s.median), min: Math.round(s.min), max: Math.round(s.max) },
        ratio_student_teacher: { median: round(q.median), min: round(q.min), max: round(q.max) },
      };
      table.push(
        `| ${seed} | ${pair.teacher.join(',')} | ${pair.student.join(',')} | ${round(apTeacher)} | ${round(apStudent)} | ${round(apPlain)} | ${gate.passed ? 'pass' : 'fail'} (${round(gate.apLoss)}) | ${Math.round(t.median)} (${Math.round(t.min)}-${Math.round(t.max)}) | ${Math.round(s.median)} (${Math.round(s.min)}-${Math.round(s.max)}) | ${round(q.median)} (${round(q.min)}-${round(q.max)}) |`,
      );
      log(`seed ${seed} ${name}: ${table[table.length - 1] ?? ''}`);
      for (const n of [teacher, student, plain]) n.dispose();
    }
    runs[String(seed)] = seedRuns;
  }
  reportBench('bench:distill', jsonPathFromArgs(process.argv, 'distill'), {
    cpus: cpus().length,
    customers,
    days,
    warmup_days: warmupDays,
    teacher_weight: teacherWeight,
    max_ap_loss: maxApLoss,
    batch,
    repeats,
    runs,
    seconds: round((performance.now() - started) / 1000),
  });
  console.log(`\n${table.join('\n')}`);
}

runBench(main);
