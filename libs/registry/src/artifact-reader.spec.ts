import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { UriArtifactReader, createArtifactReader, manifestUriOf } from './artifact-reader';
import { registryConfigFragment } from './registry.config';

describe(UriArtifactReader.name, () => {
  const dir = mkdtempSync(join(tmpdir(), 'artifact-reader-'));
  const path = join(dir, 'model.onnx');
  writeFileSync(path, new Uint8Array([1, 2, 3]));

  it('reads file:// URIs, absolute and relative paths from the file system', async () => {
    const reader = new UriArtifactReader(null);
    expect(await reader.read(pathToFileURL(path).toString())).toEqual(new Uint8Array([1, 2, 3]));
    expect(await reader.read(path)).toEqual(new Uint8Array([1, 2, 3]));
    expect(await reader.read(relative(process.cwd(), path))).toEqual(new Uint8Array([1, 2, 3]));
  });

  it('says what is missing for an s3:// URI without S3 settings, and refuses other schemes', async () => {
    const reader = createArtifactReader(registryConfigFragment.parse({}));
    await expect(reader.read('s3://models/registry/v1/model.onnx')).rejects.toThrow(
      /no S3 store is configured \(MODEL_STORE=s3/,
    );
    await expect(reader.read('https://example.org/v1/model.onnx')).rejects.toThrow(
      /only file:\/\/ and s3:\/\/ artifact URIs/,
    );
  });
});

describe(manifestUriOf.name, () => {
  it('names manifest.json beside the ONNX file', () => {
    expect(manifestUriOf('file:///var/models/v2/model.onnx')).toBe('file:///var/models/v2/manifest.json');
    expect(manifestUriOf('s3://models/registry/v2/model.onnx')).toBe('s3://models/registry/v2/manifest.json');
    expect(manifestUriOf('/var/models/v2/model.onnx')).toBe('/var/models/v2/manifest.json');
  });
});
