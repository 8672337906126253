import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createManifestSigner,
  createManifestVerifier,
  createRegistryKeys,
  registryConfigFragment,
} from './registry.config';
import { manifestFor } from './registry.test-fixtures';

describe(createManifestSigner.name, () => {
  let dir: string;
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const privatePem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const config = (env: Record<string, string>) => registryConfigFragment.parse(env);

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'signing-config-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('signs with the configured key (text or file), verified by a trust file naming it', async () => {
    const keyFile = join(dir, 'signing.pem');
    const trustFile = join(dir, 'trusted.pem');
    writeFileSync(keyFile, privatePem);
    writeFileSync(trustFile, publicPem);
    const verifier = createManifestVerifier(config({ MODEL_TRUSTED_KEYS_FILE: trustFile }));
    const sources: Record<string, string>[] = [
      { MODEL_SIGNING_KEY: privatePem },
      { MODEL_SIGNING_KEY_FILE: keyFile },
    ];
    for (const env of sources) {
      const signed = createManifestSigner(config(env)).sign(manifestFor('v1', new Uint8Array([1])));
      await expect(verifier.verify(signed)).resolves.toBeUndefined();
    }
  });

  it('never generates a configured key: a missing file, two sources or an empty trust file fail at boot', () => {
    const missing = join(dir, 'absent.pem');
    expect(() => createManifestSigner(config({ MODEL_SIGNING_KEY_FILE: missing }))).toThrow(/ENOENT/);
    expect(() =>
      createManifestSigner(config({ MODEL_SIGNING_KEY: privatePem, MODEL_SIGNING_KEY_FILE: missing })),
    ).toThrow(/not both/);
    expect(() => createManifestVerifier(config({ MODEL_TRUSTED_KEYS_FILE: missing }))).toThrow(
      /does not exist/,
    );
    const empty = join(dir, 'empty.pem');
    writeFileSync(empty, '# no keys yet\n');
    expect(() => createManifestVerifier(config({ MODEL_TRUSTED_KEYS_FILE: empty }))).toThrow(
      /holds no PEM public key/,
    );
  });

  it('refuses a trainer whose signing key its own trust file does not name', () => {
    const other = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const trustFile = join(dir, 'trusted.pem');
    writeFileSync(trustFile, other);
    const env = { MODEL_SIGNING_KEY: privatePem, MODEL_TRUSTED_KEYS_FILE: trustFile };
    expect(() => createRegistryKeys(config(env))).toThrow(/is not among the trusted keys/);
    writeFileSync(trustFile, other + publicPem);
    expect(createRegistryKeys(config(env)).signer).not.toBeNull();
  });
});
