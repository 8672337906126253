import type {
  EvaluationMetrics,
  ModelCard,
  ModelPrivacy,
  ModelCompression,
  ModelManifest,
  SegmentMetrics,
  SegmentTable,
} from './manifest.types';
import { principalOf } from './promotion-approvals';
import type { AuditEntry } from './registry.types';

/** One four-eyes decision on a version's promotion, from the audit log. */
export interface CardApproval {
  readonly action: 'PROMOTION_REQUESTED' | 'PROMOTION_APPROVED' | 'PROMOTION_REFUSED';
  readonly principal: string;
  readonly actor: string;
  readonly at: string;
  readonly event_time: number;
  readonly reason: string;
}

/** A version's card as `models show` presents it: the signed card plus the approvals of the audit log. */
export interface ModelCardView {
  readonly version: string;
  readonly card: ModelCard;
  /** The manifest's `compression` (a quantised variant of a float model), or null. */
  readonly compression: ModelCompression | null;
  /** Requests, approvals and refusals of its promotion, oldest first (not signed: they come after). */
  readonly approvals: readonly CardApproval[];
}

/** The card view of a manifest, or null for a manifest written before cards existed. */
export function modelCardView(manifest: ModelManifest, audit: readonly AuditEntry[]): ModelCardView | null {
  if (!manifest.model_card) return null;
  const approvals: CardApproval[] = [];
  for (const entry of audit) {
    if (entry.version !== manifest.version) continue;
    if (
      entry.action === 'PROMOTION_REQUESTED' ||
      entry.action === 'PROMOTION_APPROVED' ||
      entry.action === 'PROMOTION_REFUSED'
    )
      approvals.push({
        action: entry.action,
        principal: principalOf(entry.actor),
        actor: entry.actor,
        at: entry.at,
        event_time: entry.event_time,
        reason: entry.reason,
      });
  }
  return {
    version: manifest.version,
    card: manifest.model_card,
    compression: manifest.compression ?? null,
    approvals,
  };
}

const iso = (ms: number): string => new Date(ms).toISOString();
const num = (x: number): string => (Number.isFinite(x) ? x.toFixed(4) : 'n/a');

function metricRows(label: string, m: EvaluationMetrics): string {
  return `  ${label.padEnd(11)} ${num(m.average_precision).padStart(8)} ${num(m.roc_auc).padStart(8)} ${num(m.recall_at_threshold).padStart(8)} ${num(m.precision_at_threshold).padStart(9)} ${num(m.card_precision_at_k).padStart(8)}   (${m.rows} rows, ${m.positives} frauds)`;
}

/** The card as text for a terminal: one section per question an auditor asks. */
export function formatModelCard(view: ModelCardView): string {
  const { card } = view;
  const d = card.data;
  const header = `  ${''.padEnd(11)} ${'AP'.padStart(8)} ${'ROC AUC'.padStart(8)} ${'recall'.padStart(8)} ${'precision'.padStart(9)} ${'CP@k'.padStart(8)}`;
  const lines = [
    `Model card of ${view.version}`,
    '',
    'Training window (event time)',
    `  ${iso(card.training_window.start)} → ${iso(card.training_window.end)}`,
    '',
    'Data',
    `  rows ${d.rows} (frauds ${d.frauds}); labelled ${d.labelled_rows}, soft-labelled ${d.soft_labelled_rows}, replayed ${d.replay_rows}; validation ${d.validation_rows}`,
    '',
    card.gate
      ? `Gate: ${card.gate.passed ? 'passed' : 'rejected'} (${card.gate.reason})`
      : 'Gate: none (base model)',
    header,
    ...(card.gate
      ? view.compression
        ? [metricRows('int8', card.gate.challenger), metricRows('float', card.gate.champion)]
        : [metricRows('challenger', card.gate.challenger), metricRows('champion', card.gate.champion)]
      : [metricRows('model', card.evaluation)]),
    '',
    'Segments (false-positive rate and recall at the threshold, on the rows above)',
    ...formatSegmentTable(card.segments ?? null),
    '',
    'Compression',
    ...compressionLines(view.compression),
    '',
    'Lineage',
    `  parent ${card.lineage.parent_version ?? '-'}; request ${card.lineage.request_id ?? '-'} (${card.lineage.trigger}); drift event ${card.lineage.drift_event_id ?? '-'}`,
    '',
    'Privacy',
    ...privacyLines(card.privacy),
    '',
    'Signer',
    `  ${card.signer ? `ed25519 key ${card.signer.key_id}` : 'unsigned'}`,
    '',
    'Approvals (audit log)',
    ...(view.approvals.length === 0
      ? ['  none recorded']
      : view.approvals.map(
          (a) =>
            `  ${a.at} (event time ${iso(a.event_time)}) ${a.action.replace('PROMOTION_', '').toLowerCase()} by ${a.principal}: ${a.reason}`,
        )),
  ];
  return lines.join('\n');
}

function privacyLines(p: ModelPrivacy): string[] {
  if (p.mechanism === 'none') return [`  none: ${p.statement}`];
  const target = p.target_epsilon === null ? 'noise multiplier set directly' : `target ${p.target_epsilon}`;
  return [
    `  dp-sgd: epsilon ${num(p.epsilon)} at delta ${p.delta.toExponential(2)} (${target}); clip norm ${p.clip_norm}, noise multiplier ${num(p.noise_multiplier)}`,
    `  accountant: Rényi DP of the sampled Gaussian mechanism, ${p.conversion} conversion`,
    ...p.fits.map(
      (f, i) =>
        `  fit ${i + 1}: ${f.rows} rows, sampling rate ${f.sampling_rate.toPrecision(4)} (expected batch ${f.expected_batch_size.toFixed(1)}), ${f.steps} steps, noise multiplier ${num(f.noise_multiplier)}, epsilon ${num(f.epsilon)} (order ${f.order})`,
    ),
    ...(p.cumulative
      ? [
          `  cumulative: epsilon ${num(p.cumulative.epsilon)} at delta ${p.cumulative.delta.toExponential(2)} with ${p.cumulative.ancestors.length} DP-SGD ancestor(s)` +
            (p.cumulative.ancestors.length > 0
              ? ` (${p.cumulative.ancestors.map((a) => a.version).join(', ')})`
              : '') +
            `; budget ${p.cumulative.budget ?? 'none'}` +
            (p.cumulative.non_private_ancestor
              ? `; chain starts after ${p.cumulative.non_private_ancestor} (trained without DP)`
              : ''),
        ]
      : []),
    `  ${p.statement}`,
  ];
}

function compressionLines(c: ModelCompression | null): string[] {
  if (!c) return ['  none (float32 weights)'];
  const share = c.parent_bytes > 0 ? ((100 * c.bytes) / c.parent_bytes).toFixed(0) : 'n/a';
  const what =
    c.kind === 'int8-weights'
      ? `${c.kind} (${c.granularity}, ${c.bits}-bit symmetric)`
      : `${c.kind} (hidden ${c.hidden_units.join(',')} from ${c.parent_hidden_units.join(',')}, teacher weight ${c.teacher_weight}, ${c.train_rows} training rows)`;
  return [
    `  ${what} of float ${c.parent_version} (sha256 ${c.parent_sha256.slice(0, 12)}…)`,
    `  ${c.bytes} bytes vs ${c.parent_bytes} (${share} %)`,
    `  AP ${num(c.average_precision)} vs float ${num(c.parent_average_precision)} on ${c.rows} hold-out rows (${c.positives} frauds): loss ${num(c.ap_loss)} (max ${num(c.max_ap_loss)}), largest score difference ${num(c.max_abs_score_difference)}`,
  ];
}

const rate = (x: number | null): string => (x === null ? 'n/a' : x.toFixed(4));

/**
 * A per-segment table as text lines (indented two spaces): one row per segment, the champion's
 * rates beside a challenger's. For `models show` and the demo's summary.
 */
export function formatSegmentTable(table: SegmentTable | null): string[] {
  if (!table || table.model.length === 0)
    return ['  none recorded (the rows carried no segments, or the card predates segments)'];
  const champion = new Map<string, SegmentMetrics>();
  for (const m of table.champion ?? []) champion.set(`${m.attribute}\u0000${m.value}`, m);
  const withChampion = table.champion !== null;
  const header =
    `  ${'attribute'.padEnd(10)} ${'segment'.padEnd(10)} ${'rows'.padStart(8)} ${'frauds'.padStart(7)} ${'FPR'.padStart(8)} ${'recall'.padStart(8)}` +
    (withChampion ? `   ${'champion FPR'.padStart(12)} ${'recall'.padStart(8)}` : '');
  return [
    header,
    ...table.model.map((m) => {
      const c = champion.get(`${m.attribute}\u0000${m.value}`);
      return (
        `  ${m.attribute.padEnd(10)} ${m.value.padEnd(10)} ${String(m.rows).padStart(8)} ${String(m.frauds).padStart(7)} ${rate(m.false_positive_rate).padStart(8)} ${rate(m.recall).padStart(8)}` +
        (withChampion
          ? `   ${rate(c?.false_positive_rate ?? null).padStart(12)} ${rate(c?.recall ?? null).padStart(8)}`
          : '')
      );
    }),
  ];
}
