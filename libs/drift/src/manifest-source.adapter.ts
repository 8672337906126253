import {
  manifestUriOf,
  type ArtifactReader,
  type ManifestVerifier,
  type ModelManifest,
} from '@fraudstream/registry';
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

/**
 * Reads `manifest.json` beside a deployed artifact (the registry's layout: `<version>/model.onnx`,
 * `<version>/manifest.json`) through the registry's artifact reader (file:// URIs and paths, s3://),
 * and accepts it only signed by a trusted key: a reference profile decides when to retrain, so a
 * forged one could silence the monitor or make it raise alarms at will.
 */
export class ArtifactManifestSource implements ManifestSource {
  constructor(
    private readonly reader: ArtifactReader,
    /** The keys the manifest must be signed by (MODEL_TRUSTED_KEYS_FILE), as for the scorers. */
    private readonly verifier: ManifestVerifier,
  ) {}

  async load(artifactUri: string): Promise<ReferenceManifest> {
    const where = manifestUriOf(artifactUri);
    let text: string;
    try {
      text = Buffer.from(await this.reader.read(where)).toString('utf8');
    } catch (error) {
      throw new ManifestLoadError(`cannot read ${where}`, { cause: error });
    }
    const manifest = parseReferenceManifest(text, where);
    try {
      await this.verifier.verify(manifest as unknown as ModelManifest);
    } catch (error) {
      throw new ManifestLoadError(`${where}: signature refused`, { cause: error });
    }
    return manifest;
  }
}
