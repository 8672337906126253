/*
 * The Kubernetes manifests, as `kubectl kustomize` renders them: every overlay builds, every app is
 * probed, sized and locked down, the scorer never scales past the partitions of its topic, the GPU
 * overlay asks for a GPU and the WebGPU provider, and every env var, metric and CLI the manifests
 * name exists in the code.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { hashPassword } from '@fraudstream/console';
import { TOPIC_SPECS, Topics } from '@fraudstream/contracts';
import { consoleAppConfigSchema } from '../apps/console/src/console.config';
import { driftMonitorConfigSchema } from '../apps/drift-monitor/src/drift-monitor.config';
import { scorerConfigSchema } from '../apps/scorer/src/scorer.config';
import { simulatorConfigSchema } from '../apps/simulator/src/simulator.config';
import { trainerConfigSchema } from '../apps/trainer/src/trainer.config';
import { requireTool } from '../tests/support/project-tools';

const ROOT = resolve(__dirname, '..');
const APPS = ['scorer', 'drift-monitor', 'trainer', 'simulator', 'console'] as const;
type AppName = (typeof APPS)[number];
const OVERLAYS = ['local', 'production', 'gpu'] as const;

const APP_SCHEMAS = {
  scorer: scorerConfigSchema,
  'drift-monitor': driftMonitorConfigSchema,
  trainer: trainerConfigSchema,
  simulator: simulatorConfigSchema,
  console: consoleAppConfigSchema,
} as const;

/** The env vars each app's config schema reads. */
const APP_ENV: Record<AppName, ReadonlySet<string>> = {
  scorer: new Set(Object.keys(scorerConfigSchema.shape)),
  'drift-monitor': new Set(Object.keys(driftMonitorConfigSchema.shape)),
  trainer: new Set(Object.keys(trainerConfigSchema.shape)),
  simulator: new Set(Object.keys(simulatorConfigSchema.shape)),
  console: new Set(Object.keys(consoleAppConfigSchema.shape)),
};

/**
 * What an operator puts in the Secrets an app requires (never in the manifests): the console's
 * Secret `console` holds its users and session secret (docs/kubernetes.md).
 */
async function secretEnv(app: AppName): Promise<Record<string, string>> {
  if (app !== 'console') return {};
  return {
    CONSOLE_USERS: `ops:viewer:${await hashPassword('a password', 1024)}`,
    CONSOLE_SESSION_SECRET: 'a-session-secret-of-at-least-32-characters',
  };
}

// The slices of the Kubernetes API these checks read.
interface Metadata {
  readonly name: string;
  readonly namespace?: string;
  readonly labels?: Record<string, string>;
}
interface K8sObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: Metadata;
  readonly spec?: unknown;
  readonly data?: Record<string, string>;
}
interface Probe {
  readonly httpGet?: { readonly path: string; readonly port: string | number };
}
type Quantities = Record<string, string | number>;
interface Container {
  readonly name: string;
  readonly image: string;
  readonly command?: readonly string[];
  readonly envFrom?: readonly {
    readonly configMapRef?: { readonly name: string };
    readonly secretRef?: { readonly name: string };
  }[];
  readonly env?: readonly { readonly name: string; readonly value?: string }[];
  readonly ports?: readonly { readonly name?: string; readonly containerPort: number }[];
  readonly livenessProbe?: Probe;
  readonly readinessProbe?: Probe;
  readonly resources?: { readonly requests?: Quantities; readonly limits?: Quantities };
  readonly securityContext?: {
    readonly allowPrivilegeEscalation?: boolean;
    readonly readOnlyRootFilesystem?: boolean;
    readonly capabilities?: { readonly drop?: readonly string[] };
  };
}
interface PodSpec {
  readonly containers: readonly Container[];
  readonly securityContext?: { readonly runAsNonRoot?: boolean; readonly runAsUser?: number };
  readonly nodeSelector?: Record<string, string>;
  readonly tolerations?: readonly { readonly key?: string }[];
  readonly topologySpreadConstraints?: readonly { readonly topologyKey: string }[];
}
interface PodTemplate {
  readonly metadata?: { readonly labels?: Record<string, string> };
  readonly spec: PodSpec;
}
/** A Deployment or, for the drift monitor, a StatefulSet: the fields read here are the same. */
interface Workload extends K8sObject {
  readonly spec: {
    readonly replicas?: number;
    readonly selector: { readonly matchLabels: Record<string, string> };
    readonly template: PodTemplate;
  };
}
interface Job extends K8sObject {
  readonly spec: { readonly template: PodTemplate };
}
interface LabelSelected extends K8sObject {
  readonly spec: {
    readonly selector: { readonly matchLabels?: Record<string, string> } | Record<string, string>;
  };
}
interface ScaledObject extends K8sObject {
  readonly spec: {
    readonly scaleTargetRef: { readonly name: string; readonly kind?: string };
    readonly minReplicaCount?: number;
    readonly maxReplicaCount: number;
    readonly triggers: readonly { readonly type: string; readonly metadata: Record<string, string> }[];
  };
}
interface PrometheusRule extends K8sObject {
  readonly spec: {
    readonly groups: readonly {
      readonly rules: readonly { readonly alert?: string; readonly expr: string }[];
    }[];
  };
}

const rendered = new Map<string, K8sObject[]>();

/** `kubectl kustomize <dir>` split into its documents (cached: each directory renders once). */
function render(dir: string): K8sObject[] {
  const cached = rendered.get(dir);
  if (cached) return cached;
  const yamlText = execFileSync(requireTool('kubectl'), ['kustomize', resolve(ROOT, dir)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const objects = parseAllDocuments(yamlText).map((doc) => {
    if (doc.errors.length > 0) throw new Error(`${dir}: ${doc.errors.map((e) => e.message).join('; ')}`);
    return doc.toJS() as K8sObject;
  });
  rendered.set(dir, objects);
  return objects;
}

function ofKind<T extends K8sObject>(objects: readonly K8sObject[], kind: string): T[] {
  return objects.filter((o) => o.kind === kind) as T[];
}

function named<T extends K8sObject>(objects: readonly K8sObject[], kind: string, name: string): T {
  const found = ofKind<T>(objects, kind).find((o) => o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name}`);
  return found;
}

const WORKLOAD_KINDS = ['Deployment', 'StatefulSet'];

function workloads(objects: readonly K8sObject[]): Workload[] {
  return objects.filter((o) => WORKLOAD_KINDS.includes(o.kind)) as Workload[];
}

function workload(objects: readonly K8sObject[], app: AppName): Workload {
  const found = workloads(objects).find((o) => o.metadata.name === app);
  if (!found) throw new Error(`no workload ${app}`);
  return found;
}

function appContainer(objects: readonly K8sObject[], app: AppName): Container {
  const container = workload(objects, app).spec.template.spec.containers[0];
  if (!container) throw new Error(`${app} has no container`);
  return container;
}

/** The env a container gets from its ConfigMaps (later sources win, as in Kubernetes). */
function configMapEnv(objects: readonly K8sObject[], container: Container): Record<string, string> {
  const env: Record<string, string> = {};
  for (const source of container.envFrom ?? []) {
    if (!source.configMapRef) continue;
    Object.assign(env, named(objects, 'ConfigMap', source.configMapRef.name).data ?? {});
  }
  return env;
}

function matches(selector: Record<string, string>, labels: Record<string, string> | undefined): boolean {
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

/** Where a pod mounts the PersistentVolumeClaim `models`. */
function modelsMountPath(pod: PodSpec): string | undefined {
  const spec = pod as PodSpec & {
    volumes?: { name: string; persistentVolumeClaim?: { claimName: string } }[];
    containers: (Container & { volumeMounts?: { name: string; mountPath: string }[] })[];
  };
  const volume = spec.volumes?.find((v) => v.persistentVolumeClaim?.claimName === 'models');
  return spec.containers[0]?.volumeMounts?.find((m) => m.name === volume?.name)?.mountPath;
}

/** Every `fraudstream_*` metric declared in a `*.metrics.ts` file of the libs and apps. */
function declaredMetrics(): Set<string> {
  const names = new Set<string>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.metrics.ts')) {
        for (const m of readFileSync(path, 'utf8').matchAll(/name:\s*'(fraudstream_[a-z0-9_]+)'/g)) {
          if (m[1]) names.add(m[1]);
        }
      }
    }
  };
  walk(join(ROOT, 'libs'));
  walk(join(ROOT, 'apps'));
  return names;
}

/** `fraudstream_*` series a PromQL expression reads, histogram suffixes folded onto their metric. */
function metricsIn(expr: string): string[] {
  return [...expr.matchAll(/\bfraudstream_[a-z0-9_]+/g)].map((m) => m[0].replace(/_(bucket|sum|count)$/, ''));
}

/** The TypeScript source a `node dist/<path>.js` command runs. */
function sourceOf(command: readonly string[]): string {
  const script = command[1] ?? '';
  return join(ROOT, script.replace(/^dist\//, '').replace(/\.js$/, '.ts'));
}

describe('k8s manifests', () => {
  const partitions = TOPIC_SPECS.find((t) => t.name === Topics.transactions)?.partitions;

  it('reads the partition count of tx.transactions.v1 from libs/contracts', () => {
    expect(partitions).toBeGreaterThan(0);
  });

  describe.each(OVERLAYS)('overlay %s', (overlay) => {
    const dir = `k8s/overlays/${overlay}`;

    it('renders the five apps, each with a Service and a PodDisruptionBudget, in one namespace', () => {
      const objects = render(dir);
      expect(workloads(objects).map((d) => d.metadata.name)).toEqual(expect.arrayContaining([...APPS]));
      for (const o of objects.filter((o) => o.kind !== 'Namespace')) {
        expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBe('fraudstream');
      }
      for (const deployment of workloads(objects)) {
        const podLabels = deployment.spec.template.metadata?.labels;
        const services = ofKind<LabelSelected>(objects, 'Service').filter((s) =>
          matches(s.spec.selector as Record<string, string>, podLabels),
        );
        const budgets = ofKind<LabelSelected>(objects, 'PodDisruptionBudget').filter((p) =>
          matches((p.spec.selector as { matchLabels: Record<string, string> }).matchLabels, podLabels),
        );
        expect(services, `Service of ${deployment.metadata.name}`).toHaveLength(1);
        expect(budgets, `PodDisruptionBudget of ${deployment.metadata.name}`).toHaveLength(1);
      }
    });

    it.each(APPS)('runs %s from the image, probed on /health, with requests and limits', (app) => {
      const objects = render(dir);
      const container = appContainer(objects, app);
      expect(container.image).toMatch(/(^|\/)fraudstream:[\w.-]+$/);
      expect(container.command).toEqual(['node', `dist/apps/${app}/src/main.js`]);
      expect(existsSync(sourceOf(container.command ?? [])), 'main.ts behind the command').toBe(true);

      const port = container.ports?.find((p) => p.name === 'http')?.containerPort;
      expect(configMapEnv(objects, container).HTTP_PORT).toBe(String(port));
      for (const probe of [container.livenessProbe, container.readinessProbe]) {
        expect(probe?.httpGet).toEqual({ path: '/health', port: 'http' });
      }
      for (const resource of ['cpu', 'memory']) {
        expect(container.resources?.requests?.[resource], `requests.${resource}`).toBeDefined();
        expect(container.resources?.limits?.[resource], `limits.${resource}`).toBeDefined();
      }
    });

    it.each(APPS)('runs %s non-root on a read-only root file system without capabilities', (app) => {
      const deployment = workload(render(dir), app);
      const container = appContainer(render(dir), app);
      expect(deployment.spec.template.spec.securityContext?.runAsNonRoot).toBe(true);
      expect(container.securityContext).toMatchObject({
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ['ALL'] },
      });
    });

    it.each(APPS)('sets only env vars that %s reads, listening on all interfaces', (app) => {
      const objects = render(dir);
      const env = configMapEnv(objects, appContainer(objects, app));
      expect(env.HTTP_HOST).toBe('0.0.0.0');
      expect(env.LOG_FORMAT).toBe('json');
      const appSpecific = named(objects, 'ConfigMap', app).data ?? {};
      const unknown = Object.keys(appSpecific).filter((key) => !APP_ENV[app].has(key));
      expect(unknown, `keys of ConfigMap ${app} that apps/${app} does not read`).toEqual([]);
      const common = named(objects, 'ConfigMap', 'fraudstream-common').data ?? {};
      const unread = Object.keys(common).filter((key) => !APPS.some((a) => APP_ENV[a].has(key)));
      expect(unread, 'keys of ConfigMap fraudstream-common no app reads').toEqual([]);
    });

    it.each(APPS)('gives %s an environment its config schema accepts', async (app) => {
      const objects = render(dir);
      const env = { ...configMapEnv(objects, appContainer(objects, app)), ...(await secretEnv(app)) };
      const result = APP_SCHEMAS[app].safeParse(env);
      expect(result.error?.issues ?? []).toEqual([]);
    });

    it('runs one console at a time, its old pod stopped before a new one starts, with its Secret required', () => {
      const objects = render(dir);
      const console = workload(objects, 'console') as Workload & { spec: { strategy?: { type: string } } };
      expect(console.kind).toBe('Deployment');
      expect(console.spec.replicas).toBe(1);
      expect(console.spec.strategy).toEqual({ type: 'Recreate' });
      const secrets = (appContainer(objects, 'console').envFrom ?? []).filter((s) => s.secretRef);
      expect(secrets).toContainEqual({ secretRef: { name: 'console' } });
    });

    it('never scales the scorer past the partitions of tx.transactions.v1', () => {
      const objects = render(dir);
      for (const scaled of ofKind<ScaledObject>(objects, 'ScaledObject')) {
        expect(scaled.spec.scaleTargetRef.name).toBe('scorer');
        expect(scaled.spec.maxReplicaCount).toBeLessThanOrEqual(partitions ?? 0);
        expect(scaled.spec.minReplicaCount ?? 1).toBeLessThanOrEqual(scaled.spec.maxReplicaCount);
        const [trigger] = scaled.spec.triggers;
        expect(trigger?.type).toBe('kafka');
        expect(trigger?.metadata).toMatchObject({ topic: Topics.transactions, allowIdleConsumers: 'false' });
        // KEDA must watch the group the scorers consume in, and reach the brokers they reach.
        const scorerEnv = configMapEnv(objects, appContainer(objects, 'scorer'));
        const group = scorerEnv.SCORER_GROUP_ID ?? scorerConfigSchema.shape.SCORER_GROUP_ID.parse(undefined);
        expect(trigger?.metadata.consumerGroup).toBe(group);
        expect(scorerEnv[trigger?.metadata.bootstrapServersFromEnv ?? '']).toBeTruthy();
      }
    });
  });

  it('runs one replica of each app without KEDA in the local overlay', () => {
    const objects = render('k8s/overlays/local');
    expect(ofKind(objects, 'ScaledObject')).toEqual([]);
    for (const app of APPS) {
      expect(workload(objects, app).spec.replicas ?? 1, app).toBe(1);
    }
  });

  it('scales the scorer with KEDA from two replicas, spread over nodes, in production', () => {
    const objects = render('k8s/overlays/production');
    const scaled = named<ScaledObject>(objects, 'ScaledObject', 'scorer');
    expect(scaled.spec.minReplicaCount).toBeGreaterThanOrEqual(2);
    // KEDA owns the count: a fixed `replicas` would reset it on every apply.
    expect(workload(objects, 'scorer').spec.replicas).toBeUndefined();
    const spread = workload(objects, 'scorer').spec.template.spec;
    expect(spread.topologySpreadConstraints?.map((c) => c.topologyKey)).toContain('kubernetes.io/hostname');
    // The drift monitor's windows are one process's state: exactly one pod, never two, with its
    // checkpoint on a persistent volume.
    const drift = workload(objects, 'drift-monitor') as Workload & {
      spec: { volumeClaimTemplates?: { metadata: { name: string } }[] };
    };
    expect(drift.kind).toBe('StatefulSet');
    expect(drift.spec.replicas).toBe(1);
    const container = appContainer(objects, 'drift-monitor') as Container & {
      volumeMounts?: { name: string; mountPath: string }[];
    };
    const claimNames = (drift.spec.volumeClaimTemplates ?? []).map((t) => t.metadata.name);
    const stateDirs = (container.volumeMounts ?? [])
      .filter((m) => claimNames.includes(m.name))
      .map((m) => `${m.mountPath}/`);
    const checkpoint = configMapEnv(objects, container).DRIFT_CHECKPOINT_PATH ?? '';
    expect(
      stateDirs.some((dir) => checkpoint.startsWith(dir)),
      checkpoint,
    ).toBe(true);
  });

  it('scrapes every app through the ServiceMonitor', () => {
    const objects = render('k8s/overlays/production');
    const monitor = named<
      K8sObject & {
        spec: {
          selector: { matchLabels: Record<string, string> };
          endpoints: { port: string; path: string }[];
        };
      }
    >(objects, 'ServiceMonitor', 'fraudstream');
    expect(monitor.spec.endpoints).toEqual([expect.objectContaining({ port: 'http', path: '/metrics' })]);
    const scraped = ofKind<K8sObject & { spec: { ports: { name: string }[] } }>(objects, 'Service').filter(
      (svc) =>
        matches(monitor.spec.selector.matchLabels, svc.metadata.labels) &&
        svc.spec.ports.some((p) => p.name === 'http'),
    );
    expect(scraped.map((svc) => svc.metadata.name).sort()).toEqual([...APPS].sort());
  });

  it('gives the GPU overlay scorer a GPU, GPU nodes, the Vulkan ICD and the webgpu provider', () => {
    const objects = render('k8s/overlays/gpu');
    const pod = workload(objects, 'scorer').spec.template.spec;
    const container = appContainer(objects, 'scorer');
    expect(Number(container.resources?.limits?.['nvidia.com/gpu'])).toBeGreaterThanOrEqual(1);
    expect(pod.nodeSelector?.['nvidia.com/gpu.present']).toBe('true');
    expect(pod.tolerations?.map((t) => t.key)).toContain('nvidia.com/gpu');
    const env = Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value]));
    expect(env.VK_DRIVER_FILES).toMatch(/nvidia_icd\.json$/);
    expect(env.NVIDIA_DRIVER_CAPABILITIES?.split(',')).toEqual(
      expect.arrayContaining(['compute', 'utility', 'graphics']),
    );
    expect(configMapEnv(objects, container).SCORER_EXECUTION_PROVIDER).toBe('webgpu');
    for (const app of APPS.filter((a) => a !== 'scorer')) {
      expect(appContainer(objects, app).resources?.limits?.['nvidia.com/gpu'], app).toBeUndefined();
    }
  });

  it.each([
    ['production', 'ReadWriteMany'],
    ['local', 'ReadWriteOnce'],
  ])('shares one model volume at MODEL_STORE_ROOT in the %s overlay (%s)', (overlay, accessMode) => {
    const objects = render(`k8s/overlays/${overlay}`);
    const claim = named<K8sObject & { spec: { accessModes: string[] } }>(
      objects,
      'PersistentVolumeClaim',
      'models',
    );
    expect(claim.spec.accessModes).toEqual([accessMode]);
    for (const app of ['scorer', 'drift-monitor', 'trainer', 'console'] as const) {
      const env = configMapEnv(objects, appContainer(objects, app));
      expect(env.MODEL_STORE, app).toBe('file');
      expect(modelsMountPath(workload(objects, app).spec.template.spec), app).toBe(env.MODEL_STORE_ROOT);
    }
  });

  it('alerts and charts only metrics the code declares', () => {
    const objects = render('k8s/overlays/production');
    const declared = declaredMetrics();
    const rules = named<PrometheusRule>(objects, 'PrometheusRule', 'fraudstream').spec.groups.flatMap(
      (g) => g.rules,
    );
    expect(rules.map((r) => r.alert)).toEqual(
      expect.arrayContaining([
        'FraudstreamConsumerLagHigh',
        'FraudstreamDeadLetters',
        'FraudstreamDriftHigh',
        'FraudstreamModelRefused',
        'FraudstreamScorerDown',
      ]),
    );
    const dashboardMap = ofKind(objects, 'ConfigMap').find((c) =>
      c.metadata.name.startsWith('fraudstream-grafana-dashboard'),
    );
    const dashboard = JSON.parse(dashboardMap?.data?.['fraudstream.json'] ?? '{}') as {
      panels?: { title: string; targets: { expr: string }[] }[];
    };
    expect(dashboard.panels?.length).toBeGreaterThanOrEqual(7);
    const exprs = [
      ...rules.map((r) => r.expr),
      ...(dashboard.panels ?? []).flatMap((p) => p.targets.map((t) => t.expr)),
    ];
    const undeclared = [...new Set(exprs.flatMap(metricsIn))].filter((m) => !declared.has(m));
    expect(undeclared, 'metrics no *.metrics.ts declares').toEqual([]);
  });

  it.each(['topics-create', 'train-base', 'trainer-finetune', 'feature-rebuild'])(
    'renders the %s Job running a real entry point',
    (name) => {
      const [job, ...rest] = ofKind<Job>(render(`k8s/jobs/${name}`), 'Job');
      expect(rest).toEqual([]);
      const container = job?.spec.template.spec.containers[0];
      expect(container?.command?.[0]).toBe('node');
      expect(existsSync(sourceOf(container?.command ?? [])), 'the source behind the command').toBe(true);
      expect(container?.resources?.limits?.memory).toBeDefined();
      expect(container?.securityContext?.readOnlyRootFilesystem).toBe(true);
    },
  );

  it.each(['train-base', 'trainer-finetune'])(
    'mounts the model volume where the overlays keep models in %s',
    (name) => {
      const [job] = ofKind<Job>(render(`k8s/jobs/${name}`), 'Job');
      const root = configMapEnv(
        render('k8s/overlays/production'),
        appContainer(render('k8s/overlays/production'), 'trainer'),
      ).MODEL_STORE_ROOT;
      expect(job && modelsMountPath(job.spec.template.spec)).toBe(root);
    },
  );

  /** The Secret mounted at the directory of `file` in `pod`, if any. */
  function secretAt(pod: PodSpec, file: string | undefined): string | undefined {
    const spec = pod as PodSpec & {
      volumes?: { name: string; secret?: { secretName: string } }[];
      containers: (Container & { volumeMounts?: { name: string; mountPath: string }[] })[];
    };
    const mount = spec.containers[0]?.volumeMounts?.find((m) => file?.startsWith(`${m.mountPath}/`));
    return spec.volumes?.find((v) => v.name === mount?.name)?.secret?.secretName;
  }

  it.each(OVERLAYS)(
    'mounts the signing key only in the trainer, and the trusted keys wherever models load (%s)',
    (overlay) => {
      const objects = render(`k8s/overlays/${overlay}`);
      const jobs = ['train-base', 'trainer-finetune'].map((name) => ({
        name,
        pod: ofKind<Job>(render(`k8s/jobs/${name}`), 'Job')[0]?.spec.template.spec,
      }));
      const pods = [
        ...APPS.map((app) => ({ name: app, pod: workload(objects, app).spec.template.spec })),
        ...jobs,
      ];
      for (const { name, pod } of pods) {
        if (!pod) throw new Error(`no pod template in ${name}`);
        const container = pod.containers[0];
        if (!container) throw new Error(`${name} has no container`);
        const env = configMapEnv(objects, container);
        const signs = name === 'trainer' || name === 'train-base' || name === 'trainer-finetune';
        // The console verifies the manifests it shows and promotes.
        const loads = signs || name === 'scorer' || name === 'drift-monitor' || name === 'console';
        expect(env.MODEL_SIGNING_KEY_FILE !== undefined, `${name} signs`).toBe(signs);
        expect(secretAt(pod, env.MODEL_SIGNING_KEY_FILE), name).toBe(signs ? 'model-signing-key' : undefined);
        expect(secretAt(pod, env.MODEL_TRUSTED_KEYS_FILE), name).toBe(
          loads ? 'model-trusted-keys' : undefined,
        );
      }
    },
  );

  it.each(OVERLAYS)('mounts the card tokenisation key only in the ingress, the simulator (%s)', (overlay) => {
    const objects = render(`k8s/overlays/${overlay}`);
    for (const app of APPS) {
      const pod = workload(objects, app).spec.template.spec;
      const container = pod.containers[0];
      if (!container) throw new Error(`${app} has no container`);
      const env = configMapEnv(objects, container);
      const ingress = app === 'simulator';
      expect(env.PII_TOKEN_KEY_FILE !== undefined, `${app} tokenises`).toBe(ingress);
      expect(env.PII_TOKEN_KEY, app).toBeUndefined();
      expect(secretAt(pod, env.PII_TOKEN_KEY_FILE), app).toBe(ingress ? 'pii-token-key' : undefined);
    }
  });

  it('runs one fine-tuning request per trainer Job (--request-id)', () => {
    const [job] = ofKind<Job>(render('k8s/jobs/trainer-finetune'), 'Job');
    expect(job?.spec.template.spec.containers[0]?.command).toContain('--request-id');
  });

  it('fails to render a broken kustomization (the check can fail)', () => {
    expect(() => render('k8s/overlays/does-not-exist')).toThrow();
  });
});
