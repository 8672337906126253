import { createHash } from 'node:crypto';
import type { ModelManifest } from './manifest.types';
import { ManifestError } from './registry.errors';

/** Hex sha256 of bytes. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Version names: letters, digits, dot, dash, underscore (they become directory names and object keys). */
const VERSION_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function assertValidVersion(version: string): void {
  if (!VERSION_PATTERN.test(version) || version.includes('..'))
    throw new ManifestError(`invalid model version name ${JSON.stringify(version)}`);
}

/** Checks that a manifest describes the bytes it is about to be stored with. */
export function assertManifestMatches(onnxBytes: Uint8Array, manifest: ModelManifest): void {
  assertValidVersion(manifest.version);
  if (manifest.onnx.file !== 'model.onnx')
    throw new ManifestError(
      `manifest of ${manifest.version} names file ${manifest.onnx.file}, expected model.onnx`,
    );
  const actual = sha256Hex(onnxBytes);
  if (manifest.onnx.sha256 !== actual)
    throw new ManifestError(
      `manifest of ${manifest.version} records sha256 ${manifest.onnx.sha256}, the bytes hash to ${actual}`,
    );
  if (manifest.feature_names.length !== manifest.preprocessing.mean.length)
    throw new ManifestError(`manifest of ${manifest.version}: feature names and preprocessing disagree`);
}

/** Parses manifest.json text, checking the fields every reader relies on. */
export function parseManifest(text: string, version: string): ModelManifest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ManifestError(`manifest of ${version} is not JSON`, { cause: error });
  }
  const m = value as Partial<ModelManifest> | null;
  if (
    !m ||
    typeof m !== 'object' ||
    m.version !== version ||
    typeof m.onnx?.sha256 !== 'string' ||
    !Array.isArray(m.feature_names) ||
    typeof m.threshold !== 'number'
  )
    throw new ManifestError(`manifest of ${version} is missing required fields or names another version`);
  return m as ModelManifest;
}

/** Natural order of version names, so v10 sorts after v9. */
export function compareVersions(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}
