import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sha256Hex } from './artifact-checks';
import { ensureLocalKeyRing, localKeyRingKeys } from './local-key-ring';
import type { ModelManifest } from './manifest.types';
import { ManifestSigner, TrustedKeys, TrustedKeysFile, canonicalManifestBytes } from './manifest-signing';
import { SignatureError, type SignatureFailure } from './registry.errors';
import { manifestFor, withCard } from './registry.test-fixtures';

function keyPair(): { signer: ManifestSigner; publicKey: KeyObject; pem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    signer: new ManifestSigner(privateKey),
    publicKey,
    pem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

async function failureOf(verifying: Promise<void>): Promise<SignatureFailure> {
  const error: unknown = await verifying.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(error instanceof SignatureError)) throw new Error(`expected a SignatureError, got ${String(error)}`);
  return error.failure;
}

/** What a scorer reads: the manifest as the store writes it (pretty JSON), parsed again. */
const stored = (manifest: ModelManifest): ModelManifest =>
  JSON.parse(JSON.stringify(manifest, null, 2)) as ModelManifest;

describe(ManifestSigner.name, () => {
  const onnx = new Uint8Array([1, 2, 3]);
  const current = keyPair();
  const trusted = new TrustedKeys([current.publicKey]);

  it('signs a manifest that verifies after the store wrote and a reader parsed it', async () => {
    const signed = current.signer.sign(manifestFor('v1', onnx));
    expect(signed.signature).toMatchObject({ algorithm: 'ed25519', key_id: current.signer.keyId });
    await expect(trusted.verify(stored(signed))).resolves.toBeUndefined();
  });

  it('covers the canonical JSON: key order and whitespace do not matter, the signature field is left out', () => {
    const manifest = manifestFor('v1', onnx);
    const reordered = Object.fromEntries(Object.entries(manifest).reverse()) as unknown as ModelManifest;
    const signed = current.signer.sign(manifest);
    expect(canonicalManifestBytes(reordered).equals(canonicalManifestBytes(manifest))).toBe(true);
    expect(canonicalManifestBytes(signed).equals(canonicalManifestBytes(manifest))).toBe(true);
    expect(canonicalManifestBytes(manifest).toString('utf8')).toMatch(
      /^\{"architecture":\{"activation":"relu","hidden_units":\[4\]\},/,
    );
  });

  it('refuses an edited manifest (a lowered threshold)', async () => {
    const signed = stored(current.signer.sign(manifestFor('v1', onnx)));
    expect(await failureOf(trusted.verify({ ...signed, threshold: 0.01 }))).toBe('invalid');
  });

  it('covers the model card, which names its signer inside the signed bytes; a tampered card is refused', async () => {
    const signed = stored(current.signer.sign(withCard(manifestFor('v2', onnx, 'v1'))));
    expect(signed.model_card?.signer).toEqual({ key_id: current.signer.keyId });
    await expect(trusted.verify(signed)).resolves.toBeUndefined();
    const card = signed.model_card;
    if (!card) throw new Error('the fixture has a card');
    const tampered: ModelManifest[] = [
      { ...signed, model_card: { ...card, data: { ...card.data, frauds: card.data.frauds + 1 } } },
      { ...signed, model_card: { ...card, training_window: { ...card.training_window, end: 0 } } },
      { ...signed, model_card: { ...card, lineage: { ...card.lineage, parent_version: 'v0' } } },
      { ...signed, model_card: { ...card, signer: { key_id: keyPair().signer.keyId } } },
    ];
    for (const manifest of tampered) expect(await failureOf(trusted.verify(manifest))).toBe('invalid');
    const { model_card: _dropped, ...withoutCard } = signed;
    expect(await failureOf(trusted.verify(withoutCard))).toBe('invalid');
  });

  it('refuses a substituted artifact: other bytes need another sha256, which breaks the signature', async () => {
    const signed = stored(current.signer.sign(manifestFor('v1', onnx)));
    const substitute = new Uint8Array([6, 6, 6]);
    const forged = { ...signed, onnx: { ...signed.onnx, sha256: sha256Hex(substitute) } };
    expect(await failureOf(trusted.verify(forged))).toBe('invalid');
  });

  it('refuses an unsigned manifest and one signed by a key it does not trust', async () => {
    expect(await failureOf(trusted.verify(manifestFor('v1', onnx)))).toBe('unsigned');
    const foreign = keyPair().signer.sign(manifestFor('v1', onnx));
    expect(await failureOf(trusted.verify(foreign))).toBe('unknown-key');
  });

  it('refuses a foreign signature relabelled with a trusted key id', async () => {
    const foreign = keyPair().signer.sign(manifestFor('v1', onnx));
    const relabelled = {
      ...foreign,
      signature: {
        algorithm: 'ed25519' as const,
        key_id: current.signer.keyId,
        value: foreign.signature?.value ?? '',
      },
    };
    expect(await failureOf(trusted.verify(relabelled))).toBe('invalid');
  });

  it('accepts only Ed25519 keys', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expect(() => new ManifestSigner(privateKey)).toThrow(SignatureError);
    expect(() => new TrustedKeys([publicKey])).toThrow(SignatureError);
  });
});

describe(TrustedKeys.name, () => {
  const onnx = new Uint8Array([1, 2, 3]);

  it('rotates: during the overlap both keys verify; once the old key is dropped its models are refused', async () => {
    const old = keyPair();
    const next = keyPair();
    const byOld = stored(old.signer.sign(manifestFor('v1', onnx)));
    const byNext = stored(next.signer.sign(manifestFor('v2', onnx, 'v1')));

    const overlap = TrustedKeys.fromPem(`# old\n${old.pem}\n# new\n${next.pem}`);
    expect(overlap.keyIds).toEqual([old.signer.keyId, next.signer.keyId]);
    await expect(overlap.verify(byOld)).resolves.toBeUndefined();
    await expect(overlap.verify(byNext)).resolves.toBeUndefined();

    const after = TrustedKeys.fromPem(next.pem);
    await expect(after.verify(byNext)).resolves.toBeUndefined();
    expect(await failureOf(after.verify(byOld))).toBe('unknown-key');
  });
});

describe(TrustedKeysFile.name, () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'trust-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the file at every verification, so a rotated file needs no restart; no file trusts nothing', async () => {
    const first = keyPair();
    const second = keyPair();
    const file = new TrustedKeysFile(join(dir, 'trusted.pem'));
    const manifest = second.signer.sign(manifestFor('v1', new Uint8Array([1])));
    expect(await failureOf(file.verify(manifest))).toBe('unknown-key');
    writeFileSync(file.path, first.pem);
    expect(await failureOf(file.verify(manifest))).toBe('unknown-key');
    writeFileSync(file.path, first.pem + second.pem);
    await expect(file.verify(manifest)).resolves.toBeUndefined();
  });
});

describe(ensureLocalKeyRing.name, () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ring-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('generates a private key only its owner reads, once, and trusts its public key', async () => {
    const ring = join(dir, 'keys', 'local');
    const files = ensureLocalKeyRing(ring);
    const key = readFileSync(files.signingKeyFile, 'utf8');
    expect(statSync(files.signingKeyFile).mode & 0o077).toBe(0);
    expect(ensureLocalKeyRing(ring)).toEqual(files);
    expect(readFileSync(files.signingKeyFile, 'utf8')).toBe(key);

    const keys = localKeyRingKeys(ring);
    const signed = keys.signer?.sign(manifestFor('v1', new Uint8Array([1])));
    if (!signed) throw new Error('the local key ring has a signer');
    await expect(keys.verifier.verify(stored(signed))).resolves.toBeUndefined();
  });
});
