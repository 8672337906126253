import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelRefusedError } from './model.errors';
import { randomMlpSpec, randomSequenceSpec, sequenceLayoutOf, writeModelFixture } from './model-fixtures';
import { UriArtifactReader, ephemeralKeys, sha256Hex } from '@fraudstream/registry';
import { quantizeOnnxWeights } from './int8-weights.quantizer';
import { buildMlpOnnx } from './mlp-onnx.builder';
import { buildSequenceOnnx } from './sequence-onnx.builder';
import { inputLayoutOf, loadVerifiedModel } from './model-loader';

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

  describe('the sequence family', () => {
    // 2 flat features and a [3, 2] block: the scorer's vector is 8 wide.
    const shape = { flatWidth: 2, steps: 3, stepWidth: 2, gruUnits: 4, hidden: [4] };
    const SEQ_NAMES = ['a', 'b', ...Array.from({ length: 6 }, (_, i) => `s${i}`)];
    const sequenceSpec = randomSequenceSpec(shape, 5);
    const load = (version: string, names: readonly string[] = SEQ_NAMES) =>
      loadVerifiedModel(
        store,
        { artifactUri: join(root, version, 'model.onnx'), sha256: null, version },
        names,
        verifier,
      );

    it('accepts a sequence model whose manifest layout and graph inputs make up the vector, and says how to feed it', async () => {
      writeModelFixture(root, { version: 'seq-ok', featureNames: SEQ_NAMES, spec: sequenceSpec, signer });
      const model = await load('seq-ok');
      expect(model.manifest.family).toBe('sequence');
      expect(inputLayoutOf(model.manifest)).toEqual({
        kind: 'sequence',
        featuresName: 'features',
        flatWidth: 2,
        sequenceName: 'sequence',
        steps: 3,
        stepWidth: 2,
      });
    });

    it('refuses one whose block does not fit the vector, and one whose graph is not what its manifest says', async () => {
      writeModelFixture(root, { version: 'seq-wide', featureNames: SEQ_NAMES, spec: sequenceSpec, signer });
      const wider = await refusal(load('seq-wide', [...SEQ_NAMES, 'extra']));
      expect(wider.reason).toBe('inputs');
      writeModelFixture(root, {
        version: 'seq-lies',
        featureNames: SEQ_NAMES,
        spec: sequenceSpec,
        // The manifest says [2, 3] steps where the graph reads [3, 2]: same width, another block.
        sequenceLayout: { ...sequenceLayoutOf(sequenceSpec), steps: 2, step_width: 3 },
        signer,
      });
      const lies = await refusal(load('seq-lies'));
      expect(lies.reason).toBe('inputs');
      expect(lies.message).toBe(
        'input sequence is [?, 3, 2], expected float features [N, 2] and sequence [N, 2, 3]',
      );
      // An MLP manifest on a two-input graph: refused as the one-input MLP check has always refused it.
      writeModelFixture(root, {
        version: 'seq-as-mlp',
        featureNames: SEQ_NAMES,
        spec: randomMlpSpec(8, [4]),
        overrideBytes: buildSequenceOnnx(sequenceSpec),
        signer,
      });
      expect((await refusal(load('seq-as-mlp'))).message).toBe('model has 2 inputs, expected 1');
    });

    it('refuses a manifest of a family this scorer does not serve, or a sequence one without its layout', async () => {
      const fixture = writeModelFixture(root, {
        version: 'seq-bad',
        featureNames: SEQ_NAMES,
        spec: sequenceSpec,
        signer: null,
      });
      const manifest = JSON.parse(readFileSync(join(fixture.directory, 'manifest.json'), 'utf8')) as Record<
        string,
        unknown
      >;
      for (const [version, edit] of [
        ['family-x', { ...manifest, family: 'transformer' }],
        ['no-layout', { ...manifest, sequence: undefined }],
      ] as const) {
        writeModelFixture(root, { version, featureNames: SEQ_NAMES, spec: sequenceSpec, signer: null });
        // Signed, so the refusal is the manifest's content, not its signature.
        if (!signer) throw new Error('the ephemeral keys have no signer');
        writeFileSync(join(root, version, 'manifest.json'), JSON.stringify(signer.sign(edit as never)));
        expect((await refusal(load(version))).reason).toBe('manifest');
      }
    });
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
