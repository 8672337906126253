import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelRefusedError } from './model.errors';
import { writeModelFixture } from './model-fixtures';
import { UriArtifactReader, sha256Hex } from '@fraudstream/registry';
import { loadVerifiedModel } from './model-loader';

const NAMES = ['a', 'b'];
const spec = { mean: [0, 0], std: [1, 1], layers: [{ weights: [[1], [1]], bias: [0] }] };

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
    const fixture = writeModelFixture(root, { version: 'ok', featureNames: NAMES, spec, threshold: 0.4 });
    const model = await loadVerifiedModel(
      store,
      { artifactUri: fixture.artifactUri, sha256: fixture.sha256, version: 'ok' },
      NAMES,
    );
    expect(model.version).toBe('ok');
    expect(model.manifest.threshold).toBe(0.4);
    expect(model.sha256).toBe(sha256Hex(model.bytes));
  });

  it('refuses bytes that are not ONNX even when the checksum matches', async () => {
    const garbage = Uint8Array.from([0xff, 0x01, 0x02, 0x03, 0x04]);
    const fixture = writeModelFixture(root, {
      version: 'garbage',
      featureNames: NAMES,
      spec,
      overrideBytes: garbage,
    });
    const error = await refusal(
      loadVerifiedModel(
        store,
        { artifactUri: fixture.artifactUri, sha256: fixture.sha256, version: null },
        NAMES,
      ),
    );
    expect(error.reason).toBe('signature');
  });

  it('refuses a checksum mismatch, a different feature list, a version mismatch and a missing file', async () => {
    const fixture = writeModelFixture(root, { version: 'v1', featureNames: NAMES, spec });
    const at = (sha256: string | null, version: string | null) => ({
      artifactUri: fixture.artifactUri,
      sha256,
      version,
    });
    expect((await refusal(loadVerifiedModel(store, at('00'.repeat(32), null), NAMES))).reason).toBe(
      'checksum',
    );
    expect((await refusal(loadVerifiedModel(store, at(null, null), ['b', 'a']))).reason).toBe('signature');
    expect((await refusal(loadVerifiedModel(store, at(null, 'v2'), NAMES))).reason).toBe('manifest');
    const missing = { artifactUri: `file://${root}/nowhere/model.onnx`, sha256: null, version: null };
    expect((await refusal(loadVerifiedModel(store, missing, NAMES))).reason).toBe('fetch');
  });

  it('refuses a manifest that is not valid JSON', async () => {
    const fixture = writeModelFixture(root, { version: 'badjson', featureNames: NAMES, spec });
    writeFileSync(join(fixture.directory, 'manifest.json'), '{ not json');
    const error = await refusal(
      loadVerifiedModel(
        store,
        { artifactUri: fixture.artifactUri, sha256: fixture.sha256, version: null },
        NAMES,
      ),
    );
    expect(error.reason).toBe('manifest');
  });
});
