import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/** Where model artifacts are fetched from (the registry's file system today, object storage later). */
export interface ModelArtifactStore {
  /** The bytes at `uri`; throws when they cannot be read. */
  read(uri: string): Promise<Uint8Array>;
}

/** Reads `file://` URIs (and plain absolute paths) from the local file system. */
export class FileArtifactStore implements ModelArtifactStore {
  async read(uri: string): Promise<Uint8Array> {
    const path = uri.startsWith('file:') ? fileURLToPath(uri) : uri;
    return new Uint8Array(await readFile(path));
  }
}

/** The manifest's URI: `manifest.json` in the directory of the ONNX file. */
export function manifestUriOf(artifactUri: string): string {
  if (artifactUri.startsWith('file:') || /^[a-z][a-z0-9+.-]*:\/\//i.test(artifactUri))
    return new URL('manifest.json', artifactUri).toString();
  const slash = artifactUri.lastIndexOf('/');
  return `${slash >= 0 ? artifactUri.slice(0, slash + 1) : ''}manifest.json`;
}
