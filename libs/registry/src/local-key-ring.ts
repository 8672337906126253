import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ManifestSigner, TrustedKeys, TrustedKeysFile } from './manifest-signing';
import type { RegistryKeys } from './model-registry.service';

/** Where the local key ring lives (git-ignored, like the rest of var/). */
export const LOCAL_KEY_RING_DIR = 'var/keys/local';

/** The two files of a key ring: the signing key (private) and the trust file (its public key). */
export interface KeyRingFiles {
  readonly signingKeyFile: string;
  readonly trustedKeysFile: string;
}

export function keyRingFiles(dir: string = LOCAL_KEY_RING_DIR): KeyRingFiles {
  return { signingKeyFile: join(dir, 'signing-key.pem'), trustedKeysFile: join(dir, 'trusted-keys.pem') };
}

/**
 * The local key ring, generated on first use: an Ed25519 key pair for a machine's own demo, tests and
 * base models, used when no key is configured (MODEL_SIGNING_KEY[_FILE], MODEL_TRUSTED_KEYS_FILE).
 * Written into a staging directory and renamed into place in one step, so concurrent first uses
 * (parallel test workers) all end up with the same pair, and a reader never sees half a ring.
 */
export function ensureLocalKeyRing(dir: string = LOCAL_KEY_RING_DIR): KeyRingFiles {
  const files = keyRingFiles(dir);
  if (existsSync(files.trustedKeysFile)) return files;
  const staging = join(dirname(dir), `.staging-${randomUUID()}`);
  mkdirSync(staging, { recursive: true, mode: 0o700 });
  try {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const staged = keyRingFiles(staging);
    writeFileSync(staged.signingKeyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), {
      mode: 0o600,
    });
    writeFileSync(staged.trustedKeysFile, publicKey.export({ type: 'spki', format: 'pem' }));
    try {
      renameSync(staging, dir);
    } catch (error) {
      // Another process renamed its ring into place first: use that one.
      if (!existsSync(files.trustedKeysFile)) throw error;
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return files;
}

/** Signer and verifier of the local key ring (generated on first use): tests, benchmarks, the demo. */
export function localKeyRingKeys(dir: string = LOCAL_KEY_RING_DIR): RegistryKeys {
  const files = ensureLocalKeyRing(dir);
  return {
    signer: ManifestSigner.fromPem(readFileSync(files.signingKeyFile, 'utf8')),
    verifier: new TrustedKeysFile(files.trustedKeysFile),
  };
}

/**
 * A fresh key pair held in memory only, signer and sole trusted key: for registries whose models no
 * other process loads (unit tests, the demo's prequential oracle).
 */
export function ephemeralKeys(): RegistryKeys {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { signer: new ManifestSigner(privateKey), verifier: new TrustedKeys([publicKey]) };
}
