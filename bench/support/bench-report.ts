import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export type BenchValue = number | string | boolean | null | BenchValue[] | { [key: string]: BenchValue };

/** `--json FILE` from a benchmark's argv, or a default path under bench-results/. */
export function jsonPathFromArgs(argv: readonly string[], defaultName: string): string {
  const i = argv.indexOf('--json');
  const next = i >= 0 ? argv[i + 1] : undefined;
  return next ?? `bench-results/${defaultName}.json`;
}

/** Writes the results as JSON and prints them as a table (one row per key, nested objects flattened). */
export function reportBench(title: string, path: string, results: Record<string, BenchValue>): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(results, null, 2)}\n`);
  const rows: [string, string][] = [];
  const walk = (prefix: string, value: BenchValue): void => {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value)) walk(prefix ? `${prefix}.${k}` : k, v);
    } else {
      const shown =
        typeof value === 'number'
          ? formatNumber(value)
          : Array.isArray(value)
            ? value.map(String).join(', ')
            : String(value);
      rows.push([prefix, shown]);
    }
  };
  walk('', results);
  const width = Math.max(...rows.map(([k]) => k.length), 6);
  console.log(`\n${title}`);
  console.log(`${'metric'.padEnd(width)}  value`);
  console.log(`${'-'.repeat(width)}  ${'-'.repeat(12)}`);
  for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v}`);
  console.log(`\nwritten to ${path}`);
}

function formatNumber(n: number): string {
  if (Number.isInteger(n)) return n.toLocaleString('en-US');
  return Math.abs(n) >= 100 ? n.toFixed(0) : n.toPrecision(4);
}

/** Runs a benchmark's main: a failure prints its stack and exits 1. */
export function runBench(main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  });
}
