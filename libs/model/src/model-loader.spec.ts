import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelRefusedError } from './model.errors';
import { randomMlpSpec, writeModelFixture } from './model-fixtures';
import { UriArtifactReader, ephemeralKeys, sha256Hex } from '@fraudstream/registry';
import { quantizeOnnxWeights } from './int8-weights.quantizer';
import { buildMlpOnnx } from './mlp-onnx.builder';
import { loadVerifiedModel } from './model-loader';

const NAMES = ['a', 'b'];
const spec = { mean: [0, 0], std: [1, 1], layers: [{ weights: [[1], [1]], bias: [0] }] };
const keys = ephemeralKeys();
const { signer, verifier } = keys;

async function refusal(promise: Promise<unknown>): Promise<ModelRefusedError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ModelRefusedError);
  return error as ModelRefusedError;
}

describe(loadVerifiedModel.name, () => {
  const store = new UriArtifactReader(null);
  let root: string;

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'loader-'));
  });

  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('accepts an artifact whose bytes, manifest and signature agree', async () => {
    const fixture = writeModelFixture(root, {
      version: 'ok',
      featureNames: NAMES,
      spec,
      threshold: 0.4,
      signer,
    });
    const model = await loadVerifiedModel(
      store,
      { artifactUri: fixture.artifactUri, sha256: fixture.sha256, version: 'ok' },
      NAMES,
      verifier,
    );
    expect(model.version).toBe('ok');
    expect(model.manifest.threshold).toBe(0.4);
    expect(model.sha256).toBe(sha256Hex(model.bytes));
  });

  it('refuses a model trained on another feature set, even with the same names, and says which', async () => {
    const fixture = writeModelFixture(root, {
      version: 'v1-model',
      featureNames: NAMES,
      featureSetVersion: 'fs-v1',
      spec,
      threshold: 0.4,
      signer,
    });
    const location = { artifactUri: fixture.artifactUri, sha256: fixture.sha256, version: 'v1-model' };
    const refused = await refusal(loadVerifiedModel(store, location, NAMES, verifier, 'fs-v2'));
    expect(refused.reason).toBe('inputs');
    expect(refused.message).toBe('model was trained on feature set fs-v1, this scorer computes fs-v2');
    expect((await loadVerifiedModel(store, location, NAMES, verifier, 'fs-v1')).version).toBe('v1-model');
  });

  it('accepts an int8 weight-quantised artifact: same input and output as its float model', async () => {
    const hidden = randomMlpSpec(NAMES.length, [4], 1);
    const fixture = writeModelFixture(root, {
      version: 'int8',
      featureNames: NAMES,
      spec: hidden,
      overrideBytes: quantizeOnnxWeights(buildMlpOnnx(hidden)).bytes,
      signer,
    });
    const model = await loadVerifiedModel(
      store,
      { artifactUri: fixture.artifactUri, sha256: fixture.sha256, version: 'int8' },
      NAMES,
      verifier,
    );
    expect(model.sha256).toBe(fixture.sha256);
  });

  it('refuses bytes that are not ONNX even when the checksum matches', async () => {
    const garbage = Uint8Array.from([0xff, 0x01, 0x02, 0x03, 0x04]);
    const fixture = writeModelFixture(root, {
      version: 'garbage',
      featureNames: NAMES,
      spec,
      overrideBytes: garbage,
      signer,
    });
    const error = await refusal(
      loadVerifiedModel(
        store,
        { artifactUri: fixture.artifactUri, sha256: fixture.sha256, version: null },
        NAMES,
        verifier,
      ),
    );
    expect(error.reason).toBe('inputs');
  });

  it('refuses a checksum mismatch, a different feature list, a version mismatch and a missing file', async () => {
    const fixture = writeModelFixture(root, { version: 'v1', featureNames: NAMES, spec, signer });
    const at = (sha256: string | null, version: string | null) => ({
      artifactUri: fixture.artifactUri,
      sha256,
      version,
    });
    expect((await refusal(loadVerifiedModel(store, at('00'.repeat(32), null), NAMES, verifier))).reason).toBe(
      'checksum',
    );
    expect((await refusal(loadVerifiedModel(store, at(null, null), ['b', 'a'], verifier))).reason).toBe(
      'inputs',
    );
    expect((await refusal(loadVerifiedModel(store, at(null, 'v2'), NAMES, verifier))).reason).toBe(
      'manifest',
    );
    const missing = { artifactUri: `file://${root}/nowhere/model.onnx`, sha256: null, version: null };
    expect((await refusal(loadVerifiedModel(store, missing, NAMES, verifier))).reason).toBe('fetch');
  });

  it('refuses a manifest that is not valid JSON', async () => {
    const fixture = writeModelFixture(root, { version: 'badjson', featureNames: NAMES, spec, signer });
    writeFileSync(join(fixture.directory, 'manifest.json'), '{ not json');
    const error = await refusal(
      loadVerifiedModel(
        store,
        { artifactUri: fixture.artifactUri, sha256: fixture.sha256, version: null },
        NAMES,
        verifier,
      ),
    );
    expect(error.reason).toBe('manifest');
  });

  it('refuses an unsigned manifest and one signed by an untrusted key (signature)', async () => {
    const unsigned = writeModelFixture(root, {
      version: 'unsigned',
      featureNames: NAMES,
      spec,
      signer: null,
    });
    const foreign = writeModelFixture(root, {
      version: 'foreign',
      featureNames: NAMES,
      spec,
      signer: ephemeralKeys().signer,
    });
    for (const fixture of [unsigned, foreign]) {
      const location = { artifactUri: fixture.artifactUri, sha256: fixture.sha256, version: null };
      expect((await refusal(loadVerifiedModel(store, location, NAMES, verifier))).reason).toBe('signature');
    }
  });

  it('refuses a substituted artifact whose manifest was rewritten to match it (signature), and one whose manifest was not (checksum)', async () => {
    const fixture = writeModelFixture(root, { version: 'swap', featureNames: NAMES, spec, signer });
    const other = writeModelFixture(root, {
      version: 'other',
      featureNames: NAMES,
      spec: { ...spec, layers: [{ weights: [[2], [2]], bias: [1] }] },
      signer: null,
    });
    const otherBytes = readFileSync(join(other.directory, 'model.onnx'));
    writeFileSync(join(fixture.directory, 'model.onnx'), otherBytes);
    const location = { artifactUri: fixture.artifactUri, sha256: null, version: null };
    expect((await refusal(loadVerifiedModel(store, location, NAMES, verifier))).reason).toBe('checksum');

    const manifestPath = join(fixture.directory, 'manifest.json');
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { onnx: { sha256: string } };
    manifest.onnx.sha256 = sha256Hex(otherBytes);
    writeFileSync(manifestPath, JSON.stringify(manifest));
    expect((await refusal(loadVerifiedModel(store, location, NAMES, verifier))).reason).toBe('signature');
  });
});
