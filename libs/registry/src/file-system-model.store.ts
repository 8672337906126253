import { randomUUID } from 'node:crypto';
import { appendFile, mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  assertManifestMatches,
  assertValidVersion,
  compareVersions,
  parseManifest,
  sha256Hex,
} from './artifact-checks';
import type { ModelManifest } from './manifest.types';
import { ArtifactNotFoundError, ChecksumMismatchError, VersionExistsError } from './registry.errors';
import type { AuditEntry, ModelStore, VerifiedArtifact } from './registry.types';

const AUDIT_FILE = 'audit.log';
const MODEL_FILE = 'model.onnx';
const STAGING_DIR = '.staging';

function isErrno(error: unknown, code: string): boolean {
  return error instanceof Error && 'code' in error && error.code === code;
}

/**
 * The embedded default store: `<root>/<version>/model.onnx` + `manifest.json`, and `<root>/audit.log`
 * (JSON lines, opened in append mode only). A version is written into a staging directory and renamed
 * into place in one step, so readers never see half a version and two writers of the same version
 * cannot both win (rename onto an existing, non-empty directory fails).
 */
export class FileSystemModelStore implements ModelStore {
  readonly kind = 'file';
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  artifactUri(version: string): string {
    return pathToFileURL(join(this.versionDir(version), MODEL_FILE)).href;
  }

  async putVersion(onnxBytes: Uint8Array, manifest: ModelManifest): Promise<string> {
    assertManifestMatches(onnxBytes, manifest);
    const { version } = manifest;
    if (await this.hasVersion(version)) throw new VersionExistsError(version);
    const staging = join(this.root, STAGING_DIR, `${version}-${randomUUID()}`);
    await mkdir(staging, { recursive: true });
    try {
      await writeFile(join(staging, MODEL_FILE), onnxBytes, { flag: 'wx' });
      await writeFile(join(staging, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`, {
        flag: 'wx',
      });
      try {
        await rename(staging, this.versionDir(version));
      } catch (error) {
        if (isErrno(error, 'ENOTEMPTY') || isErrno(error, 'EEXIST')) throw new VersionExistsError(version);
        throw error;
      }
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
    return this.artifactUri(version);
  }

  async hasVersion(version: string): Promise<boolean> {
    assertValidVersion(version);
    try {
      await stat(join(this.versionDir(version), 'manifest.json'));
      return true;
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return false;
      throw error;
    }
  }

  async listVersions(): Promise<string[]> {
    let entries;
    try {
      entries = await readdir(this.root, { withFileTypes: true });
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return [];
      throw error;
    }
    const versions: string[] = [];
    for (const entry of entries) {
      if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
      if (await this.hasVersion(entry.name)) versions.push(entry.name);
    }
    return versions.sort(compareVersions);
  }

  async readManifest(version: string): Promise<ModelManifest> {
    return parseManifest(await this.readFileOf(version, 'manifest.json', 'utf8'), version);
  }

  async readVerified(version: string): Promise<VerifiedArtifact> {
    const manifest = await this.readManifest(version);
    const onnx = new Uint8Array(await this.readFileOf(version, MODEL_FILE));
    const actual = sha256Hex(onnx);
    if (actual !== manifest.onnx.sha256)
      throw new ChecksumMismatchError(version, manifest.onnx.sha256, actual);
    return { version, onnx, manifest, uri: this.artifactUri(version) };
  }

  async appendAudit(entry: AuditEntry): Promise<void> {
    await mkdir(this.root, { recursive: true });
    // One write call per line in append mode: concurrent appenders interleave whole lines.
    await appendFile(join(this.root, AUDIT_FILE), `${JSON.stringify(entry)}\n`, { flag: 'a' });
  }

  async readAudit(): Promise<AuditEntry[]> {
    let text: string;
    try {
      text = await readFile(join(this.root, AUDIT_FILE), 'utf8');
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return [];
      throw error;
    }
    return text
      .split('\n')
      .filter((line) => line.trim().length > 0)
      .map((line) => JSON.parse(line) as AuditEntry);
  }

  private versionDir(version: string): string {
    assertValidVersion(version);
    return join(this.root, version);
  }

  private async readFileOf(version: string, file: string): Promise<Buffer>;
  private async readFileOf(version: string, file: string, encoding: 'utf8'): Promise<string>;
  private async readFileOf(version: string, file: string, encoding?: 'utf8'): Promise<Buffer | string> {
    try {
      return encoding
        ? await readFile(join(this.versionDir(version), file), encoding)
        : await readFile(join(this.versionDir(version), file));
    } catch (error) {
      if (isErrno(error, 'ENOENT'))
        throw new ArtifactNotFoundError(version, `model version ${version} has no ${file}`, { cause: error });
      throw error;
    }
  }
}
