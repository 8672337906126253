/*
 * `npm run bench:drift`: throughput of the drift monitor's window-update path (DriftDetector on one
 * core: champion score -> bins of 19 features and the score, bottom-k sample, per-day top-k cards,
 * window closes and maturity evaluations included), plus label throughput and the cost of closing a
 * window. Synthetic scores at the demo size (about 50k a day, 5,000 cards); Kafka decoding is not
 * included (it is the transport's cost, measured by the scorer benchmark). Options: --events N
 * (default 2,000,000), --reservoir N (default 10,000), --json FILE.
 */
import { cpus } from 'node:os';
import { DAY_MS, type Label, type Score } from '@fraudstream/contracts';
import { DriftDetector, defaultDriftSettings, type ReferenceManifest } from '@fraudstream/drift';
import { buildFeatureProfile, evaluateModel, eventDay, mulberry32 } from '@fraudstream/stats';
import { jsonPathFromArgs, reportBench } from './support/bench-report';

const FEATURES = 19;
const PER_DAY = 50_000;

function intOption(argv: readonly string[], name: string, fallback: number): number {
  const i = argv.indexOf(`--${name}`);
  const value = i >= 0 ? Number(argv[i + 1]) : fallback;
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer`);
  return value;
}

function scores(n: number, start: number, seed: number): { scores: Score[]; fraud: boolean[] } {
  const rnd = mulberry32(seed);
  const out: Score[] = [];
  const fraud: boolean[] = [];
  for (let i = 0; i < n; i++) {
    const isFraud = rnd() < 0.01;
    const features = Array.from({ length: FEATURES }, (_, f) =>
      f % 5 === 2 ? (rnd() < 0.2 ? 1 : 0) : -Math.log(1 - rnd()) * (f + 1) + (isFraud ? 2 : 0),
    );
    const score = Math.min(1, Math.max(0, (isFraud ? 0.5 : 0.05) + (rnd() - 0.5) * 0.4));
    const t = start + Math.floor((i / PER_DAY) * DAY_MS);
    out.push({
      transaction_id: `tx-${seed}-${i}`,
      card_id: `card-${Math.floor(rnd() * 5000)}`,
      terminal_id: 't',
      amount: 10,
      event_time: t,
      ingest_time: t,
      scored_at: t,
      score,
      threshold: 0.5,
      is_alert: score >= 0.5,
      model_version: 'bench',
      role: 'CHAMPION',
      feature_set_version: 'fs-v1',
      features,
    });
    fraud.push(isFraud);
  }
  return { scores: out, fraud };
}

function main(): void {
  const argv = process.argv.slice(2);
  const events = intOption(argv, 'events', 2_000_000);
  const reservoir = intOption(argv, 'reservoir', 10_000);
  const start = Date.UTC(2026, 0, 1);

  const ref = scores(100_000, start - 30 * DAY_MS, 1);
  const validation = evaluateModel(
    ref.scores.map((s, i) => ({
      cardId: s.card_id,
      day: eventDay(s.event_time),
      score: s.score,
      isFraud: ref.fraud[i] ?? false,
    })),
    { threshold: 0.5, k: 100 },
  );
  const manifest: ReferenceManifest = {
    version: 'bench',
    feature_names: Array.from({ length: FEATURES }, (_, f) => `f${f}`),
    threshold: 0.5,
    metrics: { validation },
    reference: {
      row_count: ref.scores.length,
      fraud_rate: validation.positives / ref.scores.length,
      features: Array.from({ length: FEATURES }, (_, f) =>
        buildFeatureProfile(
          `f${f}`,
          ref.scores.map((s) => s.features[f] ?? 0),
        ),
      ),
      score: buildFeatureProfile(
        'score',
        ref.scores.map((s) => s.score),
      ),
    },
  };

  const live = scores(events, start, 2);
  const labels: Label[] = live.scores.flatMap((s, i) =>
    live.fraud[i]
      ? [
          {
            transaction_id: s.transaction_id,
            card_id: s.card_id,
            terminal_id: 't',
            is_fraud: true,
            source: 'CHARGEBACK' as const,
            transaction_time: s.event_time,
            event_time: s.event_time + 2 * DAY_MS,
          },
        ]
      : [],
  );
  const settings = defaultDriftSettings({
    reservoirSize: reservoir,
    chargebackWindowMs: 3 * DAY_MS,
    allowedLatenessMs: 0,
    maxLabelLagMs: 0,
  });

  // Warm-up run (JIT), then the measured one.
  for (const measured of [false, true]) {
    const detector = new DriftDetector(settings);
    detector.setReference(manifest);
    const n = measured ? events : Math.min(events, 200_000);
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) {
      const s = live.scores[i];
      if (s) detector.observeScore(s);
    }
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const outputs = detector.drain();
    if (!measured) continue;

    // Labels for transactions of live windows (3 days, within the chargeback window): applied to samples.
    const labelled = new DriftDetector({ ...settings, chargebackWindowMs: 30 * DAY_MS });
    labelled.setReference(manifest);
    const span = Math.min(events, 3 * PER_DAY);
    for (let i = 0; i < span; i++) {
      const s = live.scores[i];
      if (s) labelled.observeScore(s);
    }
    const dayLabels = labels.filter((l) => l.transaction_time < start + 3 * DAY_MS);
    for (const s of live.scores.slice(0, span)) {
      if (dayLabels.length >= 50_000) break;
      dayLabels.push({
        transaction_id: s.transaction_id,
        card_id: s.card_id,
        terminal_id: 't',
        is_fraud: false,
        source: 'ANALYST',
        transaction_time: s.event_time,
        event_time: s.event_time + DAY_MS,
      });
    }
    const labelT0 = process.hrtime.bigint();
    for (const l of dayLabels) labelled.observeLabel(l);
    const labelSeconds = Number(process.hrtime.bigint() - labelT0) / 1e9;

    // Cost of one window close with a full reservoir: a fresh detector, one day, then the boundary.
    const closer = new DriftDetector(settings);
    closer.setReference(manifest);
    for (let i = 0; i < PER_DAY && i < events; i++) {
      const s = live.scores[i];
      if (s) closer.observeScore(s);
    }
    const next = live.scores[PER_DAY];
    const closeT0 = process.hrtime.bigint();
    if (next) closer.observeScore(next);
    const closeMs = Number(process.hrtime.bigint() - closeT0) / 1e6;

    const status = detector.status();
    reportBench('drift monitor: window-update path on one core', jsonPathFromArgs(argv, 'drift'), {
      cpu: cpus()[0]?.model ?? 'unknown',
      node: process.version,
      events: n,
      features: FEATURES,
      simulated_days: Math.ceil(n / PER_DAY),
      reservoir_per_window: reservoir,
      scores_per_second: Math.round(n / seconds),
      goal_scores_per_second: 200_000,
      meets_goal: n / seconds >= 200_000,
      labels: dayLabels.length,
      labels_per_second: Math.round(dayLabels.length / Math.max(labelSeconds, 1e-9)),
      window_close_ms: closeMs,
      drift_events: outputs.driftEvents.length,
      open_windows_after: status.openWindows + status.windowsAwaitingMaturity,
      heap_used_mb: Math.round(process.memoryUsage().heapUsed / 1e6),
    });
  }
}

main();
