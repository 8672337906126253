import {
  createHash,
  createPrivateKey,
  createPublicKey,
  sign as signBytes,
  verify as verifyBytes,
  type KeyObject,
} from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { ManifestSignature, ModelManifest } from './manifest.types';
import { SignatureError } from './registry.errors';

/**
 * The bytes a manifest's signature covers: the manifest without its `signature` field, as JSON with
 * object keys sorted at every depth and no whitespace. It goes through JSON.stringify first, so the
 * in-memory manifest the trainer signs and the manifest.json a scorer parses give the same text
 * (undefined fields dropped, numbers in their shortest round-trip form). It includes `onnx.sha256`,
 * so one signature vouches for both the manifest and the ONNX bytes.
 */
export function canonicalManifestBytes(manifest: ModelManifest): Buffer {
  const { signature: _signature, ...unsigned } = manifest;
  return Buffer.from(canonicalJson(JSON.parse(JSON.stringify(unsigned))), 'utf8');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0,
    );
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Short id of a public key: the first 16 hex digits of the sha256 of its SPKI DER encoding. */
export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex')
    .slice(0, 16);
}

function assertEd25519(key: KeyObject, what: string): void {
  if (key.asymmetricKeyType !== 'ed25519')
    throw new SignatureError(
      'invalid',
      `${what} is a ${key.asymmetricKeyType ?? 'symmetric'} key, expected Ed25519`,
    );
}

/** Signs manifests with one Ed25519 private key (the trainer's). */
export class ManifestSigner {
  readonly keyId: string;

  constructor(private readonly privateKey: KeyObject) {
    assertEd25519(privateKey, 'the signing key');
    this.keyId = keyIdOf(createPublicKey(privateKey));
  }

  /** From a PEM private key (PKCS#8, as `openssl genpkey -algorithm ed25519` writes it). */
  static fromPem(pem: string): ManifestSigner {
    let key: KeyObject;
    try {
      key = createPrivateKey(pem);
    } catch (error) {
      throw new SignatureError('invalid', 'the signing key is not a PEM private key', { cause: error });
    }
    return new ManifestSigner(key);
  }

  /** The manifest with `signature` set (any earlier signature is replaced). */
  sign(manifest: ModelManifest): ModelManifest {
    // The card names its signer inside the signed bytes: a card cannot be passed off as another key's.
    const signed: ModelManifest = manifest.model_card
      ? { ...manifest, model_card: { ...manifest.model_card, signer: { key_id: this.keyId } } }
      : manifest;
    const value = signBytes(null, canonicalManifestBytes(signed), this.privateKey).toString('base64');
    const signature: ManifestSignature = { algorithm: 'ed25519', key_id: this.keyId, value };
    return { ...signed, signature };
  }
}

/** Checks manifests' signatures; throws SignatureError when one does not verify. */
export interface ManifestVerifier {
  verify(manifest: ModelManifest): Promise<void>;
}

const PUBLIC_KEY_PEM = /-----BEGIN PUBLIC KEY-----[\s\S]*?-----END PUBLIC KEY-----/g;

/**
 * A set of trusted Ed25519 public keys, by key id. Several keys are what makes rotation possible:
 * models signed by the old key keep verifying while the new key signs the next ones.
 */
export class TrustedKeys implements ManifestVerifier {
  private readonly keys: ReadonlyMap<string, KeyObject>;

  constructor(publicKeys: readonly KeyObject[]) {
    const keys = new Map<string, KeyObject>();
    for (const key of publicKeys) {
      assertEd25519(key, 'a trusted key');
      keys.set(keyIdOf(key), key);
    }
    this.keys = keys;
  }

  /** Every `PUBLIC KEY` PEM block of the text (a trust file holds one per line group, comments allowed). */
  static fromPem(text: string, where = 'trusted keys'): TrustedKeys {
    const blocks = text.match(PUBLIC_KEY_PEM) ?? [];
    const keys = blocks.map((pem, i) => {
      try {
        return createPublicKey(pem);
      } catch (error) {
        throw new SignatureError('invalid', `${where}: key ${i + 1} is not a PEM public key`, {
          cause: error,
        });
      }
    });
    return new TrustedKeys(keys);
  }

  get keyIds(): readonly string[] {
    return [...this.keys.keys()];
  }

  verify(manifest: ModelManifest): Promise<void> {
    // A throw in the executor rejects the promise: callers see failures only as rejections.
    return new Promise((resolve) => {
      verifyWith(this.keys, manifest);
      resolve();
    });
  }
}

function verifyWith(keys: ReadonlyMap<string, KeyObject>, manifest: ModelManifest): void {
  const signature = manifest.signature as Partial<ManifestSignature> | undefined;
  if (!signature || typeof signature !== 'object')
    throw new SignatureError('unsigned', `manifest of ${manifest.version} is not signed`);
  if (signature.algorithm !== 'ed25519' || typeof signature.value !== 'string')
    throw new SignatureError('invalid', `manifest of ${manifest.version}: unsupported signature`);
  const key = typeof signature.key_id === 'string' ? keys.get(signature.key_id) : undefined;
  if (!key)
    throw new SignatureError(
      'unknown-key',
      `manifest of ${manifest.version} is signed by key ${String(signature.key_id)}, which is not trusted`,
    );
  const valid = verifyBytes(
    null,
    canonicalManifestBytes(manifest),
    key,
    Buffer.from(signature.value, 'base64'),
  );
  if (!valid)
    throw new SignatureError(
      'invalid',
      `manifest of ${manifest.version}: the signature of key ${signature.key_id} does not verify (manifest or checksum altered)`,
    );
}

/**
 * The trusted keys of a file, read again at every verification: replacing the file (a rotated
 * Kubernetes secret is updated in place) takes effect at the next model load, without a restart.
 * A missing or empty file trusts nothing, so every model is refused.
 */
export class TrustedKeysFile implements ManifestVerifier {
  constructor(readonly path: string) {}

  async verify(manifest: ModelManifest): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      throw new SignatureError('unknown-key', `no trusted keys: cannot read ${this.path}`, { cause: error });
    }
    await TrustedKeys.fromPem(text, this.path).verify(manifest);
  }
}
