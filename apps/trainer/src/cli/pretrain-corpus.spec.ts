import { createHash } from 'node:crypto';
import { readMlpOnnx } from '@fraudstream/model';
import { defaultTrainingSettings } from '@fraudstream/training';
import { describe, expect, it } from 'vitest';
import { pretrainModel, type CorpusOptions } from './pretrain-corpus';

// A corpus small enough for the unit suite: two populations of ~100 cards, 3 warm-up days, 4 kept.
const corpus = (seed: number): CorpusOptions => ({
  seed,
  populations: 2,
  warmupDays: 3,
  days: 4,
  minCustomers: 150,
  maxCustomers: 200,
});
const settings = (seed: number) => ({
  ...defaultTrainingSettings(),
  seed,
  baseEpochs: 2,
  baseHoldoutDays: 1,
  minTrainRows: 100,
  minHoldoutRows: 50,
});

async function pretrained(corpusSeed: number, trainingSeed: number) {
  const { trained, rows } = await pretrainModel({
    corpus: corpus(corpusSeed),
    settings: settings(trainingSeed),
    version: 'v1',
    codeRevision: 'test',
  });
  return { onnx: trained.onnx, manifest: trained.manifest, rows };
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describe(pretrainModel.name, () => {
  it('gives the same ONNX bytes and manifest for the same seed, and a different model for another seed', async () => {
    const first = await pretrained(1, 1);
    const again = await pretrained(1, 1);
    expect(first.rows).toBeGreaterThan(1000);
    expect(sha256(again.onnx)).toBe(sha256(first.onnx));
    expect(again.manifest).toEqual(first.manifest);

    const other = await pretrained(2, 2);
    expect(sha256(other.onnx)).not.toBe(sha256(first.onnx));
    // Different weights, not only different bytes around the same network.
    expect(readMlpOnnx(other.onnx).layers[0]?.weights).not.toEqual(
      readMlpOnnx(first.onnx).layers[0]?.weights,
    );
  }, 120_000);

  it('trains different weights from the same corpus with another training seed', async () => {
    const first = await pretrained(1, 1);
    const reseeded = await pretrained(1, 7);
    expect(reseeded.rows).toBe(first.rows);
    expect(readMlpOnnx(reseeded.onnx).layers[0]?.weights).not.toEqual(
      readMlpOnnx(first.onnx).layers[0]?.weights,
    );
  }, 120_000);
});
