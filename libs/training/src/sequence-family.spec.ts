import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DAY_MS, type Label } from '@fraudstream/contracts';
import { FileSystemModelStore, ModelRegistry, ephemeralKeys } from '@fraudstream/registry';
import { FS_V1_SEQ16, SEQUENCE_STEP_WIDTH } from '@fraudstream/features';
import { inputLayoutOf } from '@fraudstream/model';
import { mulberry32 } from '@fraudstream/stats';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { trainBaseModel } from './base-training';
import type { ScoredTransaction } from './mature-labels';
import { joinMatureLabels } from './mature-labels';
import { networkOfOnnx } from './scoring-network';
import { SequenceNetwork } from './sequence.network';
import { initTfjsWasm } from './tfjs-wasm.backend';
import { T0, testSettings } from './training.test-fixtures';
import { toTrainingMatrix } from './training-rows';

const F = FS_V1_SEQ16.flatWidth;
const K = FS_V1_SEQ16.sequenceSteps;
const S = SEQUENCE_STEP_WIDTH;
const WIDTH = FS_V1_SEQ16.names.length;

/**
 * Logged fs-v1-seq16 vectors over `days` days: flat features that say nothing, and a block whose
 * latest three steps are a card-not-present burst minutes apart exactly for the frauds (~6 %),
 * labelled by chargeback a day later.
 */
function burstStream(
  days: number,
  rowsPerDay: number,
  seed: number,
): { scores: ScoredTransaction[]; labels: Label[] } {
  const random = mulberry32(seed);
  const scores: ScoredTransaction[] = [];
  const labels: Label[] = [];
  for (let d = 0; d < days; d++)
    for (let i = 0; i < rowsPerDay; i++) {
      const fraud = random() < 0.06;
      const x = new Array<number>(WIDTH).fill(0);
      for (let c = 0; c < F; c++) x[c] = random() * 3;
      const present = fraud ? K : Math.floor(random() * (K + 1));
      for (let k = K - present; k < K; k++) {
        const at = F + k * S;
        const burst = fraud && k >= K - 3;
        x[at] = 1;
        x[at + 1] = 2 + 3 * random();
        x[at + 2] = burst ? random() : 3 + 6 * random();
        x[at + 3] = burst || random() < 0.2 ? 1 : 0;
        x[at + 4] = random() < 0.25 ? 1 : 0;
        x[at + 5] = random() < 0.3 ? 1 : 0;
        x[at + 6] = 0.5 + random();
      }
      const id = `tx-${d}-${i}`;
      const eventTime = T0 + d * DAY_MS + Math.floor((i / rowsPerDay) * DAY_MS);
      scores.push({
        transaction_id: id,
        card_id: `card-${Math.floor(random() * 200)}`,
        event_time: eventTime,
        features: x,
        feature_set_version: FS_V1_SEQ16.version,
        role: 'CHAMPION',
        model_version: 'v0',
      });
      if (fraud)
        labels.push({
          transaction_id: id,
          card_id: 'c',
          terminal_id: 't',
          is_fraud: true,
          source: 'CHARGEBACK',
          transaction_time: eventTime,
          event_time: eventTime + DAY_MS,
        });
    }
  return { scores, labels };
}

describe('the sequence family in the trainer', () => {
  beforeAll(() => initTfjsWasm());

  it('trains a base model on fs-v1-seq16 vectors, packaged with its family and layout, whose ONNX scores as the network', async () => {
    const settings = testSettings({ modelFamily: 'sequence', gruUnits: 8, baseEpochs: 6, patience: 6 });
    const { scores, labels } = burstStream(10, 300, 3);
    const asOf = T0 + 12 * DAY_MS;
    const { rows } = joinMatureLabels(
      scores,
      labels,
      { chargebackWindowMs: settings.chargebackWindowMs, asOf },
      FS_V1_SEQ16.version,
    );
    const base = await trainBaseModel({
      rows,
      asOf,
      version: 'v1',
      featureNames: FS_V1_SEQ16.names,
      featureSetVersion: FS_V1_SEQ16.version,
      thresholdPolicy: { kind: 'daily-capacity', value: 20 },
      codeRevision: 'test',
      settings,
    });
    expect(base.manifest.family).toBe('sequence');
    expect(base.manifest.sequence).toEqual({
      flat_width: F,
      steps: K,
      step_width: S,
      sequence_input_name: 'sequence',
      gru_units: 8,
    });
    // The registry takes it: one standardisation constant per named column.
    expect(base.manifest.preprocessing.mean).toHaveLength(WIDTH);
    const registry = new ModelRegistry(
      new FileSystemModelStore(mkdtempSync(join(tmpdir(), 'seq-'))),
      ephemeralKeys(),
    );
    await registry.register(base.onnx, base.manifest, { actor: 'test', reason: 'base', eventTime: asOf });
    // It learnt the burst, which only the block shows.
    expect(base.validation.average_precision).toBeGreaterThan(0.8);

    // The warm start of a fine-tuning reads the same network back, and ONNX Runtime agrees with it.
    const network = networkOfOnnx(base.onnx, base.manifest);
    expect(network).toBeInstanceOf(SequenceNetwork);
    const sample = rows.slice(0, 300);
    const matrix = toTrainingMatrix(sample, WIDTH);
    const layout = inputLayoutOf(base.manifest);
    if (layout.kind !== 'sequence') throw new Error('a sequence layout');
    const session = await InferenceSession.create(base.onnx);
    const features = new Float32Array(sample.length * F);
    const block = new Float32Array(sample.length * K * S);
    for (let r = 0; r < sample.length; r++) {
      features.set(matrix.x.subarray(r * WIDTH, r * WIDTH + F), r * F);
      block.set(matrix.x.subarray(r * WIDTH + F, (r + 1) * WIDTH), r * K * S);
    }
    const out = await session.run({
      [layout.featuresName]: new Tensor('float32', features, [sample.length, F]),
      [layout.sequenceName]: new Tensor('float32', block, [sample.length, K, S]),
    });
    await session.release();
    const onnx = out.score?.data as Float32Array;
    const tfjs = network.predict(matrix.x, matrix.rows);
    let max = 0;
    for (let i = 0; i < sample.length; i++) max = Math.max(max, Math.abs((onnx[i] ?? 0) - (tfjs[i] ?? 0)));
    expect(max).toBeLessThan(1e-5);
    network.dispose();
  }, 300_000);

  it('refuses to train the sequence family on a feature set without a history block', async () => {
    const settings = testSettings({ modelFamily: 'sequence' });
    const { scores, labels } = burstStream(10, 300, 4);
    const asOf = T0 + 12 * DAY_MS;
    const { rows } = joinMatureLabels(
      scores.map((s) => ({ ...s, features: s.features.slice(0, F), feature_set_version: 'fs-v1' })),
      labels,
      { chargebackWindowMs: settings.chargebackWindowMs, asOf },
      'fs-v1',
    );
    await expect(
      trainBaseModel({
        rows,
        asOf,
        version: 'v1',
        featureNames: FS_V1_SEQ16.names.slice(0, F),
        featureSetVersion: 'fs-v1',
        thresholdPolicy: { kind: 'daily-capacity', value: 20 },
        codeRevision: 'test',
        settings,
      }),
    ).rejects.toThrow('the sequence family needs a feature set with a history block');
  });
});
