import {
  MODEL_FAMILIES,
  manifestUriOf,
  modelFamilyOf,
  sha256Hex,
  type ArtifactReader,
  type ManifestVerifier,
  type ModelManifest,
} from '@fraudstream/registry';
import type { ModelInputLayout } from './inference-runtime.types';
import { ModelFormatError, ModelRefusedError } from './model.errors';
import { ONNX_FLOAT, readOnnxSignature } from './onnx-signature';

/** An artifact whose bytes, manifest, signature and graph passed every check. */
export interface VerifiedModel {
  readonly version: string;
  readonly bytes: Uint8Array;
  readonly sha256: string;
  readonly manifest: ModelManifest;
  readonly artifactUri: string;
}

export interface ModelLocation {
  readonly artifactUri: string;
  /** Expected hex sha256 of the ONNX bytes; null trusts the manifest's (bootstrap models). */
  readonly sha256: string | null;
  /** Expected version (from the deployment event); null accepts the manifest's. */
  readonly version: string | null;
  /** Event time of the deployment asking for it (null for the bootstrap model). */
  readonly eventTime?: number | null;
}

function parseManifest(bytes: Uint8Array): ModelManifest {
  const parsed: unknown = JSON.parse(Buffer.from(bytes).toString('utf8'));
  if (!parsed || typeof parsed !== 'object') throw new Error('manifest is not a JSON object');
  const m = parsed as Partial<ModelManifest>;
  if (typeof m.version !== 'string' || m.version.length === 0) throw new Error('manifest has no version');
  if (!Array.isArray(m.feature_names) || !m.feature_names.every((n) => typeof n === 'string'))
    throw new Error('manifest has no feature_names');
  if (typeof m.threshold !== 'number' || !(m.threshold >= 0 && m.threshold <= 1))
    throw new Error('manifest threshold is not in [0, 1]');
  if (!m.onnx || typeof m.onnx.sha256 !== 'string') throw new Error('manifest has no onnx.sha256');
  if (m.family !== undefined && !(MODEL_FAMILIES as readonly string[]).includes(m.family))
    throw new Error(
      `manifest family ${String(m.family)} is not one this scorer serves (${MODEL_FAMILIES.join(', ')})`,
    );
  if (m.family === 'sequence') {
    const s = m.sequence;
    const counts = [s?.flat_width, s?.steps, s?.step_width, s?.gru_units];
    if (
      !s ||
      !counts.every((n) => Number.isInteger(n) && (n ?? 0) > 0) ||
      typeof s.sequence_input_name !== 'string'
    )
      throw new Error(
        'a sequence-family manifest needs its input layout (sequence.flat_width, steps, step_width)',
      );
  }
  return m as ModelManifest;
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((name, i) => name === b[i]);
}

/**
 * Fetches an ONNX artifact and its manifest and checks them before anything is loaded: the manifest's
 * signature (a trusted key signed it, so its sha256 is the trainer's), the sha256 of the bytes
 * (against the deployment event and the manifest), the manifest's feature set version (when
 * `featureSetVersion` is given: a model trained on another set's vectors is refused even where the
 * names agree, as their meaning may not), the manifest's feature list (it must be the scorer's, in
 * order) and the graph's inputs and outputs (one float input [N, F] with F = the feature
 * count, one float output [N, 1]). Any failure throws ModelRefusedError naming the check.
 */
export async function loadVerifiedModel(
  store: ArtifactReader,
  location: ModelLocation,
  featureNames: readonly string[],
  verifier: ManifestVerifier,
  featureSetVersion?: string,
): Promise<VerifiedModel> {
  const { artifactUri } = location;
  let bytes: Uint8Array;
  let manifestBytes: Uint8Array;
  try {
    [bytes, manifestBytes] = await Promise.all([
      store.read(artifactUri),
      store.read(manifestUriOf(artifactUri)),
    ]);
  } catch (error) {
    throw new ModelRefusedError('fetch', `cannot read ${artifactUri} or its manifest`, { cause: error });
  }
  let manifest: ModelManifest;
  try {
    manifest = parseManifest(manifestBytes);
  } catch (error) {
    throw new ModelRefusedError('manifest', `invalid manifest beside ${artifactUri}`, { cause: error });
  }
  try {
    await verifier.verify(manifest);
  } catch (error) {
    throw new ModelRefusedError('signature', 'the manifest is not signed by a trusted key', { cause: error });
  }
  const actual = sha256Hex(bytes);
  const expected = (location.sha256 ?? manifest.onnx.sha256).toLowerCase();
  if (actual !== expected)
    throw new ModelRefusedError('checksum', `sha256 of ${artifactUri} is ${actual}, expected ${expected}`);
  if (manifest.onnx.sha256.toLowerCase() !== actual)
    throw new ModelRefusedError(
      'checksum',
      `manifest sha256 ${manifest.onnx.sha256} does not match the bytes`,
    );
  if (location.version !== null && manifest.version !== location.version)
    throw new ModelRefusedError(
      'manifest',
      `manifest version ${manifest.version}, event ${location.version}`,
    );
  if (featureSetVersion !== undefined && manifest.feature_set_version !== featureSetVersion)
    throw new ModelRefusedError(
      'inputs',
      `model was trained on feature set ${String(manifest.feature_set_version)}, this scorer computes ${featureSetVersion}`,
    );
  if (!sameNames(manifest.feature_names, featureNames))
    throw new ModelRefusedError(
      'inputs',
      `model features [${manifest.feature_names.join(', ')}] are not the scorer's [${featureNames.join(', ')}]`,
    );
  checkGraph(bytes, manifest, featureNames.length);
  return { version: manifest.version, bytes, sha256: actual, manifest, artifactUri };
}

/** How the runtime feeds a verified model's graph from a feature vector (its family's inputs). */
export function inputLayoutOf(manifest: ModelManifest): ModelInputLayout {
  const layout = manifest.sequence;
  if (modelFamilyOf(manifest) !== 'sequence' || !layout) return { kind: 'flat' };
  return {
    kind: 'sequence',
    featuresName: manifest.onnx.input_name,
    flatWidth: layout.flat_width,
    sequenceName: layout.sequence_input_name,
    steps: layout.steps,
    stepWidth: layout.step_width,
  };
}

/** The graph's inputs and outputs, or a refusal saying why they cannot be read. */
function signatureOrRefusal(bytes: Uint8Array): ReturnType<typeof readOnnxSignature> {
  try {
    return readOnnxSignature(bytes);
  } catch (error) {
    const why = error instanceof ModelFormatError ? error.message : 'unreadable ONNX';
    throw new ModelRefusedError('inputs', why, { cause: error });
  }
}

function checkGraph(bytes: Uint8Array, manifest: ModelManifest, width: number): void {
  if (modelFamilyOf(manifest) === 'sequence') {
    checkSequenceGraph(bytes, manifest, width);
    return;
  }
  const signature = signatureOrRefusal(bytes);
  const [input, ...moreInputs] = signature.inputs;
  const [output] = signature.outputs;
  if (!input || moreInputs.length > 0)
    throw new ModelRefusedError('inputs', `model has ${signature.inputs.length} inputs, expected 1`);
  if (input.elemType !== ONNX_FLOAT || input.dims.length !== 2 || input.dims[1] !== width)
    throw new ModelRefusedError(
      'inputs',
      `input ${input.name} is [${input.dims.map((d) => d ?? '?').join(', ')}], expected float [N, ${width}]`,
    );
  if (!output || output.elemType !== ONNX_FLOAT || (output.dims.length === 2 && output.dims[1] !== 1))
    throw new ModelRefusedError('inputs', 'output is not a float [N, 1] score');
}

/**
 * The sequence family's graph: `features` float [N, F] and the block float [N, K, S] with F + K·S the
 * scorer's vector, as the manifest's layout says, and the one float [N, 1] output.
 */
function checkSequenceGraph(bytes: Uint8Array, manifest: ModelManifest, width: number): void {
  const layout = inputLayoutOf(manifest);
  if (layout.kind !== 'sequence')
    throw new ModelRefusedError('inputs', 'a sequence model without its layout');
  const { flatWidth: F, steps: K, stepWidth: S } = layout;
  if (F + K * S !== width)
    throw new ModelRefusedError(
      'inputs',
      `model reads ${F} features and a [${K}, ${S}] block (${F + K * S} values), the scorer computes ${width}`,
    );
  const signature = signatureOrRefusal(bytes);
  const shape = (dims: readonly (number | null)[]) => `[${dims.map((d) => d ?? '?').join(', ')}]`;
  const expected = new Map<string, (number | null)[]>([
    [layout.featuresName, [null, F]],
    [layout.sequenceName, [null, K, S]],
  ]);
  if (signature.inputs.length !== 2)
    throw new ModelRefusedError('inputs', `model has ${signature.inputs.length} inputs, a sequence model 2`);
  for (const input of signature.inputs) {
    const dims = expected.get(input.name);
    const fits =
      dims !== undefined &&
      input.elemType === ONNX_FLOAT &&
      input.dims.length === dims.length &&
      dims.every((d, i) => d === null || input.dims[i] === d);
    if (!fits)
      throw new ModelRefusedError(
        'inputs',
        `input ${input.name} is ${shape(input.dims)}, expected float ${layout.featuresName} [N, ${F}] and ${layout.sequenceName} [N, ${K}, ${S}]`,
      );
  }
  const [output] = signature.outputs;
  if (!output || output.elemType !== ONNX_FLOAT || (output.dims.length === 2 && output.dims[1] !== 1))
    throw new ModelRefusedError('inputs', 'output is not a float [N, 1] score');
}
