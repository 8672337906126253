/** log1p of a non-negative feature value (a non-finite value counts as 0): the robust space's axis. */
export function logRobust(value: number): number {
  return Math.log1p(Math.max(0, Number.isFinite(value) ? value : 0));
}

/** The robust scaling of `rows` over `features` (median and IQR of log1p; the std where the IQR is 0). */
export function robustScaling(
  rows: readonly (readonly number[])[],
  features: readonly number[],
): { centre: number[]; scale: number[] } {
  const centre: number[] = [];
  const scale: number[] = [];
  for (const f of features) {
    const v = Float64Array.from(rows, (r) => logRobust(r[f] ?? 0)).sort();
    const q = (p: number) => v[Math.floor(p * Math.max(0, v.length - 1))] ?? 0;
    centre.push(q(0.5));
    let s = q(0.75) - q(0.25);
    if (!(s > 1e-9)) {
      let mean = 0;
      for (const x of v) mean += x;
      mean /= Math.max(1, v.length);
      let ss = 0;
      for (const x of v) ss += (x - mean) ** 2;
      s = Math.sqrt(ss / Math.max(1, v.length));
    }
    scale.push(s > 1e-9 ? s : 1);
  }
  return { centre, scale };
}
