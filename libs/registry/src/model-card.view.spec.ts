import { describe, expect, it } from 'vitest';
import { ephemeralKeys } from './local-key-ring';
import type { ModelCompression } from './manifest.types';
import { formatModelCard, formatSegmentTable, modelCardView } from './model-card.view';
import type { AuditEntry } from './registry.types';
import { manifestFor, withCard } from './registry.test-fixtures';

const entry = (action: AuditEntry['action'], actor: string, at: string, reason: string): AuditEntry => ({
  at,
  event_time: 1_767_744_000_000,
  action,
  version: 'v2',
  from_stage: 'SHADOW',
  to_stage: null,
  actor,
  reason,
  request_id: null,
  deployment_id: null,
  metrics: {},
});

describe(formatModelCard.name, () => {
  const bytes = new Uint8Array([1]);
  const { signer } = ephemeralKeys();
  const manifest = signer?.sign(withCard(manifestFor('v2', bytes, 'v1')));
  if (!manifest) throw new Error('ephemeral keys sign');
  const audit: AuditEntry[] = [
    entry('REGISTERED', 'trainer:t1/gate', '2026-01-07T00:00:00.000Z', 'fine-tuned'),
    entry('PROMOTION_REQUESTED', 'trainer:t1/shadow', '2026-01-08T00:00:00.000Z', 'shadow ok'),
    entry('PROMOTION_APPROVED', 'console:bob', '2026-01-08T09:30:00.000Z', 'gate reviewed'),
    { ...entry('PROMOTION_APPROVED', 'cli:eve', '2026-01-08T10:00:00.000Z', 'other version'), version: 'v3' },
  ];

  it("joins the version's approvals from the audit log to its signed card", () => {
    const view = modelCardView(manifest, audit);
    expect(view?.approvals.map((a) => [a.action, a.principal, a.at])).toEqual([
      ['PROMOTION_REQUESTED', 'trainer:t1', '2026-01-08T00:00:00.000Z'],
      ['PROMOTION_APPROVED', 'bob', '2026-01-08T09:30:00.000Z'],
    ]);
    expect(modelCardView(manifestFor('v1', bytes), audit)).toBeNull();
  });

  it('prints every section an auditor asks for', () => {
    const view = modelCardView(manifest, audit);
    if (!view) throw new Error('the fixture has a card');
    const text = formatModelCard(view);
    expect(text.split('\n')).toEqual([
      'Model card of v2',
      '',
      'Training window (event time)',
      '  2026-01-01T00:00:00.000Z → 2026-01-07T00:00:00.000Z',
      '',
      'Data',
      '  rows 5200 (frauds 61); labelled 5000, soft-labelled 200, replayed 1300; validation 700',
      '',
      'Gate: passed (AP +0.042 over the champion)',
      '                    AP  ROC AUC   recall precision     CP@k',
      '  challenger    0.5420   0.9000   1.0000    0.5000   0.1000   (10 rows, 1 frauds)',
      '  champion      0.5000   0.9000   1.0000    0.5000   0.1000   (10 rows, 1 frauds)',
      '',
      'Segments (false-positive rate and recall at the threshold, on the rows above)',
      '  attribute  segment        rows  frauds      FPR   recall   champion FPR   recall',
      '  age_band   18-29             4       1   0.2500   1.0000         0.0000   0.0000',
      '  age_band   65+               6       0   0.0000      n/a         0.5000      n/a',
      '',
      'Compression',
      '  none (float32 weights)',
      '',
      'Lineage',
      '  parent v1; request req-7 (DRIFT); drift event drift-3',
      '',
      'Privacy',
      '  none: no privacy mechanism: trained on the raw logged feature vectors, without differential privacy, noise or clipping; no privacy guarantee (epsilon, delta) is claimed',
      '',
      'Signer',
      `  ed25519 key ${signer?.keyId ?? ''}`,
      '',
      'Approvals (audit log)',
      '  2026-01-08T00:00:00.000Z (event time 2026-01-07T00:00:00.000Z) requested by trainer:t1: shadow ok',
      '  2026-01-08T09:30:00.000Z (event time 2026-01-07T00:00:00.000Z) approved by bob: gate reviewed',
    ]);
  });

  it('says when a card has no segment table (written before segments, or rows without them), and leaves out the champion of a base model', () => {
    const card = manifest.model_card;
    if (!card) throw new Error('the fixture has a card');
    const { segments, ...older } = card;
    const view = modelCardView({ ...manifest, model_card: older }, []);
    if (!view || !segments) throw new Error('the fixture has a card');
    expect(formatModelCard(view)).toContain(
      'Segments (false-positive rate and recall at the threshold, on the rows above)\n  none recorded (the rows carried no segments, or the card predates segments)\n',
    );
    expect(formatSegmentTable({ ...segments, champion: null })).toEqual([
      '  attribute  segment        rows  frauds      FPR   recall',
      '  age_band   18-29             4       1   0.2500   1.0000',
      '  age_band   65+               6       0   0.0000      n/a',
    ]);
  });

  it('prints the compression of a quantised variant and labels the gate rows int8 and float', () => {
    const compression: ModelCompression = {
      kind: 'int8-weights',
      parent_version: 'v1',
      parent_sha256: 'ab'.repeat(32),
      granularity: 'per-channel',
      bits: 8,
      bytes: 3163,
      parent_bytes: 5629,
      rows: 10,
      positives: 1,
      parent_average_precision: 0.5,
      average_precision: 0.498,
      ap_loss: 0.002,
      max_ap_loss: 0.005,
      max_abs_score_difference: 0.0012,
      passed: true,
      reason: 'int8 AP 0.4980 vs float 0.5000: loss 0.0020 <= 0.0050',
    };
    const view = modelCardView({ ...manifest, compression }, audit);
    if (!view) throw new Error('the fixture has a card');
    const lines = formatModelCard(view).split('\n');
    expect(lines.filter((l) => l.startsWith('  int8 ') || l.startsWith('  float '))).toHaveLength(2);
    const at = lines.indexOf('Compression');
    expect(lines.slice(at, at + 4)).toEqual([
      'Compression',
      `  int8-weights (per-channel, 8-bit symmetric) of float v1 (sha256 ${'ab'.repeat(6)}…)`,
      '  3163 bytes vs 5629 (56 %)',
      '  AP 0.4980 vs float 0.5000 on 10 hold-out rows (1 frauds): loss 0.0020 (max 0.0050), largest score difference 0.0012',
    ]);
  });
});
