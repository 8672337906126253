/*
 * Summarises a V8 CPU profile (`node --cpu-prof`): self time per function (top frames) and per
 * package (kafkajs, avsc, the registry client, fraudstream's own code, Node internals, GC, idle).
 *
 *   node dist/bench/support/profile-summary.js FILE.cpuprofile [--top N] [--json OUT] [--folded OUT]
 *
 * docs/scorer.md quotes its output for the scorer under `npm run bench:scorer`.
 */
import { readFileSync, writeFileSync } from 'node:fs';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: {
    readonly functionName: string;
    readonly url: string;
    readonly lineNumber: number;
  };
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
  readonly startTime: number;
  readonly endTime: number;
}

export interface ProfileSummary {
  readonly totalMs: number;
  readonly busyMs: number;
  /** Self time by package or area, share of the busy (non-idle) time. */
  readonly byArea: readonly { area: string; ms: number; share: number }[];
  /** Self time by function, share of the busy time. */
  readonly topFrames: readonly { frame: string; area: string; ms: number; share: number }[];
}

/** Where a frame's code lives: a package under node_modules, fraudstream's own code, Node, or V8's pseudo-frames. */
export function areaOf(url: string, functionName: string): string {
  // The profiler's own work (stopping it serialises the profile on the main thread): not the scorer's.
  if (url === 'node:inspector') return '(profiler)';
  if (url === '') {
    if (functionName === '(idle)') return '(idle)';
    if (functionName === '(garbage collector)') return '(gc)';
    if (functionName === '(program)') return '(program)';
    return '(native)';
  }
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) {
    const rest = url.slice(modules + 'node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1] ?? ''}` : (rest[0] ?? url);
  }
  if (url.startsWith('node:')) return 'node';
  const own = /\/dist\/(apps|libs|bench|scripts)\/([^/]+)/.exec(url);
  if (own) return `fraudstream ${own[1]}/${own[2]}`;
  return url;
}

export function summariseProfile(profile: CpuProfile, top = 25): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const areas = new Map<string, number>();
  const frames = new Map<string, { area: string; us: number }>();
  let total = 0;
  let idle = 0;
  for (const [id, us] of self) {
    const node = byId.get(id);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const area = areaOf(url, functionName);
    total += us;
    if (area === '(idle)' || area === '(profiler)') {
      idle += us;
      continue;
    }
    areas.set(area, (areas.get(area) ?? 0) + us);
    const file = url.split('/').slice(-2).join('/');
    const key = `${functionName || '(anonymous)'} ${file}:${lineNumber + 1}`;
    const entry = frames.get(key) ?? { area, us: 0 };
    entry.us += us;
    frames.set(key, entry);
  }
  const busy = total - idle;
  const ms = (us: number) => Math.round(us / 100) / 10;
  const share = (us: number) => Math.round((us / Math.max(1, busy)) * 1000) / 1000;
  return {
    totalMs: ms(total),
    busyMs: ms(busy),
    byArea: [...areas]
      .sort((a, b) => b[1] - a[1])
      .map(([area, us]) => ({ area, ms: ms(us), share: share(us) })),
    topFrames: [...frames]
      .sort((a, b) => b[1].us - a[1].us)
      .slice(0, top)
      .map(([frame, { area, us }]) => ({ frame, area, ms: ms(us), share: share(us) })),
  };
}

/**
 * The profile as folded stacks (`root;caller;callee count`, one line per distinct stack, the count in
 * samples), the input of flame graph renderers (flamegraph.pl, speedscope, inferno). Idle and
 * profiler samples are left out.
 */
export function foldedStacks(profile: CpuProfile): string {
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const name = (node: ProfileNode): string => {
    const { functionName, url, lineNumber } = node.callFrame;
    const file = url.split('/').slice(-2).join('/');
    return `${functionName || '(anonymous)'}${file ? ` ${file}:${lineNumber + 1}` : ''}`.replaceAll(';', ',');
  };
  const counts = new Map<string, number>();
  for (const id of profile.samples) {
    const leaf = byId.get(id);
    if (!leaf) continue;
    const area = areaOf(leaf.callFrame.url, leaf.callFrame.functionName);
    if (area === '(idle)' || area === '(profiler)') continue;
    const frames: string[] = [];
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const node = byId.get(at);
      if (node && node.callFrame.functionName !== '(root)') frames.push(name(node));
    }
    const stack = frames.reverse().join(';');
    counts.set(stack, (counts.get(stack) ?? 0) + 1);
  }
  return [...counts].map(([stack, n]) => `${stack} ${n}`).join('\n') + '\n';
}

function main(): void {
  const [file, ...rest] = process.argv.slice(2);
  if (!file) {
    console.error('usage: profile-summary FILE.cpuprofile [--top N] [--json OUT] [--folded OUT]');
    process.exit(2);
  }
  const topAt = rest.indexOf('--top');
  const jsonAt = rest.indexOf('--json');
  const summary = summariseProfile(
    JSON.parse(readFileSync(file, 'utf8')) as CpuProfile,
    topAt >= 0 ? Number(rest[topAt + 1]) : 25,
  );
  const percent = (s: number) => `${(s * 100).toFixed(1)} %`;
  console.log(`profile ${file}: ${summary.totalMs} ms sampled, ${summary.busyMs} ms busy`);
  console.log('\nself time by area (share of busy):');
  for (const a of summary.byArea.slice(0, 15)) console.log(`  ${percent(a.share).padStart(7)}  ${a.area}`);
  console.log('\ntop frames by self time:');
  for (const f of summary.topFrames)
    console.log(`  ${percent(f.share).padStart(7)}  ${f.frame}  [${f.area}]`);
  if (jsonAt >= 0 && rest[jsonAt + 1])
    writeFileSync(rest[jsonAt + 1] ?? '', JSON.stringify(summary, null, 2));
  const foldedAt = rest.indexOf('--folded');
  if (foldedAt >= 0 && rest[foldedAt + 1])
    writeFileSync(
      rest[foldedAt + 1] ?? '',
      foldedStacks(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile),
    );
}

if (require.main === module) main();
