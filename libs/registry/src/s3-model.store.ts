import { createHash, createHmac, randomUUID } from 'node:crypto';
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

/** Where an S3-compatible bucket is and how to sign for it (AWS S3, MinIO, Ceph RGW, moto). */
export interface S3StoreOptions {
  /** Endpoint URL, e.g. `https://s3.eu-west-1.amazonaws.com` or `http://minio:9000`. */
  readonly endpoint: string;
  readonly bucket: string;
  /** Key prefix of the registry inside the bucket (no leading or trailing slash), may be empty. */
  readonly prefix: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly fetch?: typeof fetch;
}

/** An S3 request that failed with an unexpected status. */
export class S3RequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'S3RequestError';
  }
}

const EMPTY_SHA256 = sha256Hex(new Uint8Array(0));

function encodeSegment(segment: string): string {
  return encodeURIComponent(segment).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

/**
 * The registry on S3-compatible object storage, behind the same interface as the file system store.
 * Layout: `<prefix>/<version>/model.onnx`, `<prefix>/<version>/manifest.json` (written last: a
 * version exists once its manifest does) and one object per audit entry under `<prefix>/audit/`,
 * named by time so a listing returns them in append order (object stores have no append).
 * Requests are signed with AWS Signature V4 (path-style URLs), so no SDK is needed.
 */
export class S3ModelStore implements ModelStore {
  readonly kind = 's3';
  private readonly fetchFn: typeof fetch;
  private readonly endpoint: URL;
  private auditSequence = 0;

  constructor(private readonly options: S3StoreOptions) {
    this.fetchFn = options.fetch ?? fetch;
    this.endpoint = new URL(options.endpoint);
  }

  artifactUri(version: string): string {
    return `s3://${this.options.bucket}/${this.key(version, 'model.onnx')}`;
  }

  async putVersion(onnxBytes: Uint8Array, manifest: ModelManifest): Promise<string> {
    assertManifestMatches(onnxBytes, manifest);
    const { version } = manifest;
    if (await this.hasVersion(version)) throw new VersionExistsError(version);
    await this.putObject(this.key(version, 'model.onnx'), onnxBytes, 'application/octet-stream', version);
    const json = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
    await this.putObject(this.key(version, 'manifest.json'), json, 'application/json', version);
    return this.artifactUri(version);
  }

  async hasVersion(version: string): Promise<boolean> {
    assertValidVersion(version);
    const response = await this.request('HEAD', this.key(version, 'manifest.json'));
    if (response.status === 404) return false;
    if (!response.ok)
      throw new S3RequestError(response.status, `HEAD manifest of ${version}: ${response.status}`);
    return true;
  }

  async listVersions(): Promise<string[]> {
    const keys = await this.listKeys(this.prefixed(''));
    const versions = new Set<string>();
    const base = this.prefixed('');
    for (const key of keys) {
      const rest = key.slice(base.length);
      const [version, file] = rest.split('/');
      if (version && file === 'manifest.json' && version !== 'audit') versions.add(version);
    }
    return [...versions].sort(compareVersions);
  }

  /**
   * The bytes of an `s3://<bucket>/<key>` URI of this store's bucket (a deployment's artifact or the
   * manifest beside it), for readers that hold a URI rather than a version.
   */
  async readUri(uri: string): Promise<Uint8Array> {
    const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
    if (!match) throw new S3RequestError(400, `not an s3://<bucket>/<key> URI: ${uri}`);
    const [, bucket, key] = match;
    if (bucket !== this.options.bucket)
      throw new S3RequestError(403, `${uri} is outside the configured bucket ${this.options.bucket}`);
    const response = await this.request('GET', key ?? '');
    if (!response.ok) throw new S3RequestError(response.status, `GET ${uri}: ${response.status}`);
    return new Uint8Array(await response.arrayBuffer());
  }

  async readManifest(version: string): Promise<ModelManifest> {
    const bytes = await this.getObject(version, 'manifest.json');
    return parseManifest(Buffer.from(bytes).toString('utf8'), version);
  }

  async readVerified(version: string): Promise<VerifiedArtifact> {
    const manifest = await this.readManifest(version);
    const onnx = await this.getObject(version, 'model.onnx');
    const actual = sha256Hex(onnx);
    if (actual !== manifest.onnx.sha256)
      throw new ChecksumMismatchError(version, manifest.onnx.sha256, actual);
    return { version, onnx, manifest, uri: this.artifactUri(version) };
  }

  async appendAudit(entry: AuditEntry): Promise<void> {
    // Zero-padded wall time + a per-process sequence + a random suffix: sorted keys are append order,
    // and two writers never overwrite each other's entries.
    const seq = String(this.auditSequence++).padStart(6, '0');
    const name = `${String(Date.now()).padStart(15, '0')}-${seq}-${randomUUID()}.json`;
    const key = this.prefixed(`audit/${name}`);
    await this.putObject(key, Buffer.from(JSON.stringify(entry)), 'application/json', entry.version);
  }

  async readAudit(): Promise<AuditEntry[]> {
    const keys = (await this.listKeys(this.prefixed('audit/'))).sort();
    const entries: AuditEntry[] = [];
    for (const key of keys) {
      const response = await this.request('GET', key);
      if (!response.ok) throw new S3RequestError(response.status, `GET ${key}: ${response.status}`);
      entries.push(JSON.parse(await response.text()) as AuditEntry);
    }
    return entries;
  }

  private prefixed(rest: string): string {
    return this.options.prefix ? `${this.options.prefix}/${rest}` : rest;
  }

  private key(version: string, file: string): string {
    assertValidVersion(version);
    return this.prefixed(`${version}/${file}`);
  }

  private async getObject(version: string, file: string): Promise<Uint8Array> {
    const response = await this.request('GET', this.key(version, file));
    if (response.status === 404)
      throw new ArtifactNotFoundError(version, `model version ${version} has no ${file}`);
    if (!response.ok)
      throw new S3RequestError(response.status, `GET ${file} of ${version}: ${response.status}`);
    return new Uint8Array(await response.arrayBuffer());
  }

  private async putObject(
    key: string,
    body: Uint8Array,
    contentType: string,
    version: string,
  ): Promise<void> {
    // If-None-Match: * makes the store refuse to overwrite (S3 conditional writes, MinIO); stores that
    // ignore it are still protected by the HEAD check in putVersion.
    const response = await this.request('PUT', key, body, {
      'content-type': contentType,
      'if-none-match': '*',
    });
    if (response.status === 412) throw new VersionExistsError(version);
    if (!response.ok)
      throw new S3RequestError(response.status, `PUT ${key}: ${response.status} ${await response.text()}`);
  }

  private async listKeys(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | null = null;
    do {
      const query: Record<string, string> = { 'list-type': '2', prefix };
      if (token) query['continuation-token'] = token;
      const response = await this.request('GET', '', undefined, {}, query);
      if (!response.ok) throw new S3RequestError(response.status, `LIST ${prefix}: ${response.status}`);
      const xml = await response.text();
      for (const match of xml.matchAll(/<Key>([^<]*)<\/Key>/g)) keys.push(decodeXml(match[1] ?? ''));
      const truncated = /<IsTruncated>true<\/IsTruncated>/.test(xml);
      token = truncated
        ? decodeXml(/<NextContinuationToken>([^<]*)<\/NextContinuationToken>/.exec(xml)?.[1] ?? '')
        : null;
    } while (token);
    return keys;
  }

  /** Sends one SigV4-signed, path-style request. */
  private async request(
    method: string,
    key: string,
    body?: Uint8Array,
    extraHeaders: Record<string, string> = {},
    query: Record<string, string> = {},
  ): Promise<Response> {
    const basePath = this.endpoint.pathname.replace(/\/$/, '');
    const path = `${basePath}/${encodeSegment(this.options.bucket)}${key ? `/${key.split('/').map(encodeSegment).join('/')}` : ''}`;
    const canonicalQuery = Object.keys(query)
      .sort()
      .map((k) => `${encodeSegment(k)}=${encodeSegment(query[k] ?? '')}`)
      .join('&');
    const now = new Date();
    const amzDate = now
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d{3}/, '');
    const day = amzDate.slice(0, 8);
    const payloadHash = body ? sha256Hex(body) : EMPTY_SHA256;
    const headers: Record<string, string> = {
      host: this.endpoint.host,
      'x-amz-content-sha256': payloadHash,
      'x-amz-date': amzDate,
      ...Object.fromEntries(Object.entries(extraHeaders).map(([k, v]) => [k.toLowerCase(), v])),
    };
    const signedHeaders = Object.keys(headers).sort();
    const canonicalHeaders = signedHeaders.map((h) => `${h}:${(headers[h] ?? '').trim()}\n`).join('');
    const canonicalRequest = [
      method,
      path,
      canonicalQuery,
      canonicalHeaders,
      signedHeaders.join(';'),
      payloadHash,
    ].join('\n');
    const scope = `${day}/${this.options.region}/s3/aws4_request`;
    const stringToSign = [
      'AWS4-HMAC-SHA256',
      amzDate,
      scope,
      createHash('sha256').update(canonicalRequest).digest('hex'),
    ].join('\n');
    const signingKey = hmac(
      hmac(hmac(hmac(`AWS4${this.options.secretAccessKey}`, day), this.options.region), 's3'),
      'aws4_request',
    );
    const signature = createHmac('sha256', signingKey).update(stringToSign).digest('hex');
    const authorization = `AWS4-HMAC-SHA256 Credential=${this.options.accessKeyId}/${scope}, SignedHeaders=${signedHeaders.join(';')}, Signature=${signature}`;
    const { host: _host, ...sent } = headers;
    const url = `${this.endpoint.origin}${path}${canonicalQuery ? `?${canonicalQuery}` : ''}`;
    return this.fetchFn(url, { method, headers: { ...sent, authorization }, ...(body ? { body } : {}) });
  }
}

function decodeXml(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}
