import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { createModelStore, type RegistryConfig } from './registry.config';
import { S3ModelStore } from './s3-model.store';

/** Reads the bytes behind an artifact URI, whichever store wrote it. */
export interface ArtifactReader {
  read(uri: string): Promise<Uint8Array>;
}

/**
 * The reader of the URIs deployment events carry: `file://` URIs and plain paths from the local file
 * system (the file store on a shared volume), `s3://` URIs from the configured S3-compatible store.
 * Any other scheme, or an `s3://` URI without S3 settings, fails with a message saying what is missing.
 */
export class UriArtifactReader implements ArtifactReader {
  constructor(private readonly s3: S3ModelStore | null) {}

  async read(uri: string): Promise<Uint8Array> {
    if (uri.startsWith('s3://')) {
      if (!this.s3)
        throw new Error(
          `cannot read ${uri}: no S3 store is configured (MODEL_STORE=s3 and MODEL_STORE_S3_*)`,
        );
      return this.s3.readUri(uri);
    }
    if (/^[a-z][a-z0-9+.-]*:/i.test(uri) && !uri.startsWith('file:'))
      throw new Error(`cannot read ${uri}: only file:// and s3:// artifact URIs are supported`);
    return new Uint8Array(await readFile(uri.startsWith('file:') ? fileURLToPath(uri) : uri));
  }
}

/** The manifest's URI: `manifest.json` beside the ONNX file (the registry's `<version>/` layout). */
export function manifestUriOf(artifactUri: string): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(artifactUri)) return new URL('manifest.json', artifactUri).toString();
  const slash = artifactUri.lastIndexOf('/');
  return `${slash >= 0 ? artifactUri.slice(0, slash + 1) : ''}manifest.json`;
}

/** The reader for a service's registry settings: S3 when MODEL_STORE=s3, the file system always. */
export function createArtifactReader(config: RegistryConfig): ArtifactReader {
  const store = config.MODEL_STORE === 's3' ? createModelStore(config) : null;
  return new UriArtifactReader(store instanceof S3ModelStore ? store : null);
}
