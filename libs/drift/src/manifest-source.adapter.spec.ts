import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { UriArtifactReader, ephemeralKeys, type ModelManifest } from '@fraudstream/registry';
import { describe, expect, it } from 'vitest';
import { FileCheckpointStore } from './checkpoint-store.adapter';
import { defaultDriftSettings } from './drift.config';
import { DriftDetector } from './drift-detector';
import { referenceManifestOf, syntheticDay } from './drift-test.fixtures';
import { ArtifactManifestSource, ManifestLoadError } from './manifest-source.adapter';

const keys = ephemeralKeys();
const unsigned = referenceManifestOf('m7', syntheticDay(0, 200, 3), 5);
/** The manifest as the trainer registers it: signed by the key the monitor trusts. */
const manifest = keys.signer?.sign(unsigned as unknown as ModelManifest) as unknown as typeof unsigned;

describe(ArtifactManifestSource.name, () => {
  it('reads manifest.json beside the artifact of a file:// URI', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'manifest-'));
    mkdirSync(join(dir, 'm7'));
    writeFileSync(join(dir, 'm7', 'manifest.json'), JSON.stringify(manifest));
    const uri = pathToFileURL(join(dir, 'm7', 'model.onnx')).toString();
    expect(await new ArtifactManifestSource(new UriArtifactReader(null), keys.verifier).load(uri)).toEqual(
      manifest,
    );
  });

  it('reads through the given reader for other schemes (the registry reader: s3://)', async () => {
    const asked: string[] = [];
    const source = new ArtifactManifestSource(
      {
        read: (uri) => {
          asked.push(uri);
          return Promise.resolve(new TextEncoder().encode(JSON.stringify(manifest)));
        },
      },
      keys.verifier,
    );
    expect(await source.load('s3://models/registry/m7/model.onnx')).toEqual(manifest);
    expect(asked).toEqual(['s3://models/registry/m7/manifest.json']);
  });

  it('refuses s3:// without S3 settings, missing files and manifests without a reference profile', async () => {
    const source = new ArtifactManifestSource(new UriArtifactReader(null), keys.verifier);
    await expect(source.load('s3://bucket/m7/model.onnx')).rejects.toBeInstanceOf(ManifestLoadError);
    await expect(source.load('file:///nonexistent/m7/model.onnx')).rejects.toBeInstanceOf(ManifestLoadError);
    const dir = mkdtempSync(join(tmpdir(), 'manifest-'));
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ ...manifest, reference: undefined }));
    await expect(source.load(pathToFileURL(join(dir, 'model.onnx')).toString())).rejects.toThrow(
      /reference profile missing/,
    );
  });

  it('refuses an unsigned, a foreign-signed and an edited manifest', async () => {
    const source = new ArtifactManifestSource(new UriArtifactReader(null), keys.verifier);
    const foreign = ephemeralKeys().signer?.sign(unsigned as unknown as ModelManifest);
    const edited = { ...manifest, threshold: manifest.threshold / 2 };
    for (const [name, content] of [
      ['unsigned', unsigned],
      ['foreign', foreign],
      ['edited', edited],
    ] as const) {
      const dir = mkdtempSync(join(tmpdir(), `manifest-${name}-`));
      writeFileSync(join(dir, 'manifest.json'), JSON.stringify(content));
      const error: unknown = await source
        .load(pathToFileURL(join(dir, 'model.onnx')).toString())
        .catch((e: unknown) => e);
      expect(error, name).toBeInstanceOf(ManifestLoadError);
      expect((error as Error).message, name).toMatch(/signature refused/);
    }
  });
});

describe(FileCheckpointStore.name, () => {
  it('round-trips a checkpoint and reports none before the first save', async () => {
    const store = new FileCheckpointStore(join(mkdtempSync(join(tmpdir(), 'ckpt-')), 'nested', 'c.json'));
    expect(await store.load()).toBeNull();
    const detector = new DriftDetector(defaultDriftSettings());
    detector.setReference(manifest);
    const checkpoint = { format: 1 as const, detector: detector.snapshot(), offsets: { 'scores:0': '42' } };
    await store.save(checkpoint);
    expect(await store.load()).toEqual(checkpoint);
  });
});
