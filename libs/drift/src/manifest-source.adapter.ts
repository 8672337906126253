import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { ReferenceManifest } from './reference-model';

export class ManifestLoadError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ManifestLoadError';
  }
}

/** Where the drift monitor reads a deployed model's manifest from. */
export interface ManifestSource {
  load(artifactUri: string): Promise<ReferenceManifest>;
}

function isNumberArray(x: unknown): x is number[] {
  return Array.isArray(x) && x.every((v) => typeof v === 'number');
}

/** Checks the fields of a manifest the drift monitor relies on; throws ManifestLoadError. */
export function parseReferenceManifest(text: string, where: string): ReferenceManifest {
  let m: unknown;
  try {
    m = JSON.parse(text);
  } catch (error) {
    throw new ManifestLoadError(`${where} is not JSON`, { cause: error });
  }
  const fail = (what: string): never => {
    throw new ManifestLoadError(`${where}: ${what}`);
  };
  if (!m || typeof m !== 'object') return fail('not an object');
  const o = m as Record<string, unknown>;
  if (typeof o.version !== 'string') fail('version missing');
  if (!Array.isArray(o.feature_names) || !o.feature_names.every((n) => typeof n === 'string'))
    fail('feature_names missing');
  if (typeof o.threshold !== 'number') fail('threshold missing');
  const metrics = o.metrics as { validation?: Record<string, unknown> } | undefined;
  if (typeof metrics?.validation?.average_precision !== 'number') fail('metrics.validation missing');
  const reference = o.reference as Record<string, unknown> | undefined;
  if (!reference || !Array.isArray(reference.features) || typeof reference.score !== 'object')
    fail('reference profile missing');
  for (const p of [...(reference?.features as unknown[]), reference?.score]) {
    const f = p as Record<string, unknown>;
    if (!isNumberArray(f.quantile_edges) || !isNumberArray(f.bin_fractions) || !isNumberArray(f.sample))
      fail(`reference profile '${String(f.name)}' incomplete`);
  }
  return m as ReferenceManifest;
}

/** Reads the bytes behind a URI (the registry's artifact reader: file system, S3). */
export interface UriReader {
  read(uri: string): Promise<Uint8Array>;
}

const fileReader: UriReader = {
  async read(uri) {
    if (!uri.startsWith('file://'))
      throw new Error(`only file:// URIs can be read without a registry reader`);
    return new Uint8Array(await readFile(fileURLToPath(uri)));
  },
};

/**
 * Reads `manifest.json` beside a deployed artifact (the registry's layout: `<version>/model.onnx`,
 * `<version>/manifest.json`), through `reader`: the file system by default, the registry's reader
 * (file:// and s3://) in the app.
 */
export class ArtifactManifestSource implements ManifestSource {
  constructor(private readonly reader: UriReader = fileReader) {}

  async load(artifactUri: string): Promise<ReferenceManifest> {
    let where: string;
    try {
      where = new URL('manifest.json', artifactUri).toString();
    } catch (error) {
      throw new ManifestLoadError(`${artifactUri} is not an artifact URI`, { cause: error });
    }
    let text: string;
    try {
      text = Buffer.from(await this.reader.read(where)).toString('utf8');
    } catch (error) {
      throw new ManifestLoadError(`cannot read ${where}`, { cause: error });
    }
    return parseReferenceManifest(text, where);
  }
}
