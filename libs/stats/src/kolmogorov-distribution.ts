/*
 * The finite-n Kolmogorov-Smirnov distributions behind the two-sample KS p-value.
 *
 * scipy's ks_2samp(method='asymp') takes its two-sided p-value from kstwo.sf(D, round(nm/(n+m))):
 * the exact distribution of the one-sample statistic D_n, not its n → ∞ limit kstwobign. scipy
 * evaluates kstwo with the method selection of Simard & L'Ecuyer (2011), "Computing the two-sided
 * Kolmogorov-Smirnov distribution", J. Stat. Softw. 39(11), and so does ksTwoSidedSurvival: exact
 * formulas where they are cheap, the Durbin matrix (Marsaglia, Tsang & Wang 2003) for the body of
 * small and moderate n, the Pelz-Good (1976) expansion for the body of large n, and twice the
 * one-sided tail (Smirnov; Birnbaum & Tingey 1951) in the upper tail. Two of these are
 * approximations; using the same ones in the same regions is what makes the p-values agree with
 * scipy's to ~1e-12 rather than to the approximations' own error (~1e-6 for Pelz-Good).
 * Simard & L'Ecuyer use Pomeranz's recursion where this uses the Durbin matrix (n ≤ 140,
 * 0.754693 < n·d² ≤ 4): both are exact, so they agree to rounding.
 */

/** 2^128: the scale factor that keeps the matrix power and the factorial product in range. */
const SCALE = 2 ** 128;
const SCALE_EXPONENT = 128;

/** x · 2^exponent without overflowing or underflowing in an intermediate step. */
function scaleByPowerOfTwo(x: number, exponent: number): number {
  let value = x;
  let e = exponent;
  while (e > 1000) {
    value *= 2 ** 1000;
    e -= 1000;
  }
  while (e < -1000) {
    value *= 2 ** -1000;
    e += 1000;
  }
  return value * 2 ** e;
}

function multiply(a: Float64Array, b: Float64Array, m: number): Float64Array {
  const out = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let l = 0; l < m; l++) {
      const ail = a[i * m + l] ?? 0;
      if (ail === 0) continue;
      for (let j = 0; j < m; j++) out[i * m + j] = (out[i * m + j] ?? 0) + ail * (b[l * m + j] ?? 0);
    }
  }
  return out;
}

/**
 * P(D_n < d) by Durbin's matrix formula: with n·d = k − h (k a positive integer, 0 ≤ h < 1), the
 * probability is n!/nⁿ · (Hⁿ)_{k,k} for the (2k−1)×(2k−1) matrix H of Marsaglia, Tsang & Wang.
 * Cost O(k³ log n); the caller keeps k small.
 */
export function durbinCdf(n: number, d: number): number {
  const nd = n * d;
  const k = Math.ceil(nd);
  const h = k - nd;
  const m = 2 * k - 1;
  const factorial = [1];
  for (let i = 1; i <= m; i++) factorial.push((factorial[i - 1] ?? 1) * i);
  const H = new Float64Array(m * m);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < m; j++) if (i - j + 1 >= 0) H[i * m + j] = 1 / (factorial[i - j + 1] ?? 1);
  for (let i = 0; i < m; i++) {
    H[i * m] = (H[i * m] ?? 0) - h ** (i + 1) / (factorial[i + 1] ?? 1);
    H[(m - 1) * m + i] = (H[(m - 1) * m + i] ?? 0) - h ** (m - i) / (factorial[m - i] ?? 1);
  }
  if (2 * h - 1 > 0) H[(m - 1) * m] = (H[(m - 1) * m] ?? 0) + (2 * h - 1) ** m / (factorial[m] ?? 1);

  // Hⁿ by repeated squaring; both the running power and the result carry a power-of-two exponent.
  let result: Float64Array | null = null;
  let resultExponent = 0;
  let power: Float64Array = H;
  let powerExponent = 0;
  const centre = (k - 1) * m + (k - 1);
  for (let e = n; e > 0; e = Math.floor(e / 2)) {
    if (e % 2 === 1) {
      result = result === null ? power.slice() : multiply(result, power, m);
      resultExponent += powerExponent;
      if (Math.abs(result[centre] ?? 0) > SCALE) {
        for (let i = 0; i < result.length; i++) result[i] = (result[i] ?? 0) / SCALE;
        resultExponent += SCALE_EXPONENT;
      }
    }
    if (e > 1) {
      power = multiply(power, power, m);
      powerExponent *= 2;
      if (Math.abs(power[centre] ?? 0) > SCALE) {
        for (let i = 0; i < power.length; i++) power[i] = (power[i] ?? 0) / SCALE;
        powerExponent += SCALE_EXPONENT;
      }
    }
  }
  let p = result?.[centre] ?? 0;
  let exponent = resultExponent;
  for (let i = 1; i <= n; i++) {
    p = (p * i) / n;
    if (Math.abs(p) < 1 / SCALE) {
      p *= SCALE;
      exponent -= SCALE_EXPONENT;
    }
  }
  return scaleByPowerOfTwo(p, exponent);
}

/**
 * The Pelz-Good asymptotic expansion of P(D_n ≤ d): K₀(z) + K₁(z)/√n + K₂(z)/n + K₃(z)/n^{3/2} with
 * z = d√n, each Kᵢ written with Jacobi's theta transform so that it converges for small z. The
 * sums run over k = 1 … ⌈16z/π⌉, as in Simard & L'Ecuyer.
 */
export function pelzGoodCdf(n: number, d: number): number {
  const z = d * Math.sqrt(n);
  const z2 = z * z;
  const z4 = z2 * z2;
  const z6 = z4 * z2;
  const pi2 = Math.PI * Math.PI;
  const pi4 = pi2 * pi2;
  const pi6 = pi4 * pi2;
  // exp(−π²(2k−1)²/(8z²)) below e^−708 is 0 for every k: the distribution has no mass here.
  if (-pi2 / (8 * z2) < -708) return 0;
  const kMax = Math.ceil((16 * z) / Math.PI);
  let k0 = 0;
  let k1 = 0;
  let k2 = 0;
  let k3 = 0;
  let k2Integer = 0;
  let k3Integer = 0;
  for (let k = kMax; k >= 1; k--) {
    const odd2 = (2 * k - 1) * (2 * k - 1);
    const odd4 = odd2 * odd2;
    const odd6 = odd4 * odd2;
    const oddTerm = Math.exp((-pi2 * odd2) / (8 * z2));
    k0 += oddTerm;
    k1 += oddTerm * ((pi2 / 4) * odd2 - z2);
    k2 +=
      oddTerm * (6 * z6 + 2 * z4 + ((2 * z4 - 5 * z2) * pi2 * odd2) / 4 + (pi4 * (1 - 2 * z2) * odd4) / 16);
    k3 +=
      oddTerm *
      (-30 * z6 -
        90 * z6 * z2 +
        (pi2 * (135 * z4 - 96 * z6) * odd2) / 4 +
        (pi4 * (212 * z4 - 60 * z2) * odd4) / 16 +
        (pi6 * (5 - 30 * z2) * odd6) / 64);
    const integerTerm = Math.exp((-pi2 * k * k) / (2 * z2));
    k2Integer += k * k * integerTerm;
    k3Integer += (3 * z2 - pi2 * k * k) * k * k * integerTerm;
  }
  const root2pi = Math.sqrt(2 * Math.PI);
  const K0 = (root2pi / z) * k0;
  const K1 = (root2pi / (6 * z4)) * k1;
  const K2 = (root2pi / (72 * z6 * z)) * k2 - ((pi2 * root2pi) / (36 * z2 * z)) * k2Integer;
  const K3 = (root2pi / (6480 * z6 * z4)) * k3 + ((pi2 * root2pi) / (216 * z6)) * k3Integer;
  return K0 + K1 / Math.sqrt(n) + K2 / n + K3 / (n * Math.sqrt(n));
}

/**
 * P(D⁺_n ≥ d) of the one-sided statistic (scipy.special.smirnov), by the Smirnov / Birnbaum-Tingey
 * sum d · Σ_{j=0}^{⌊n(1−d)⌋} C(n, j) (d + j/n)^{j−1} (1 − d − j/n)^{n−j}. Every term is positive, so
 * the sum is taken in logs (no overflow for any n) with relative error ~1e-12.
 */
export function smirnovSurvival(n: number, d: number): number {
  if (Number.isNaN(d) || !(n >= 1)) return Number.NaN;
  if (d <= 0) return 1;
  if (d >= 1) return 0;
  const jMax = Math.floor(n * (1 - d));
  const logTerms: number[] = [];
  let logBinomial = 0;
  let max = Number.NEGATIVE_INFINITY;
  for (let j = 0; j <= jMax; j++) {
    if (j > 0) logBinomial += Math.log(n - j + 1) - Math.log(j);
    const rest = 1 - d - j / n;
    if (rest <= 0 && n - j > 0) break;
    const logTerm =
      logBinomial + (j - 1) * Math.log(d + j / n) + (n - j === 0 ? 0 : (n - j) * Math.log(rest));
    logTerms.push(logTerm);
    if (logTerm > max) max = logTerm;
  }
  let sum = 0;
  for (const t of logTerms) sum += Math.exp(t - max);
  return Math.min(1, d * Math.exp(max) * sum);
}

/**
 * P(D_n ≥ d) of the two-sided one-sample Kolmogorov-Smirnov statistic for a sample of n
 * (scipy.stats.kstwo.sf(d, n)). NaN when n is not a positive integer.
 */
export function ksTwoSidedSurvival(n: number, d: number): number {
  if (Number.isNaN(d) || !Number.isInteger(n) || n < 1) return Number.NaN;
  if (d >= 1) return 0;
  if (d <= 0) return 1;
  const t = n * d;
  if (t <= 0.5) return 1;
  if (t <= 1) {
    // Ruben & Gambino: P(D_n ≤ d) = n!/nⁿ (2t − 1)ⁿ for 1/(2n) ≤ d ≤ 1/n.
    let cdf = 1;
    for (let i = 1; i <= n; i++) cdf *= (i / n) * (2 * t - 1);
    return 1 - cdf;
  }
  // Ruben & Gambino: P(D_n ≥ d) = 2(1 − d)ⁿ for d ≥ 1 − 1/n.
  if (t >= n - 1) return 2 * (1 - d) ** n;
  // Above 1/2 the events D⁺ ≥ d and D⁻ ≥ d are disjoint, so the two-sided tail is twice the one-sided one.
  if (d >= 0.5) return Math.min(1, 2 * smirnovSurvival(n, d));
  const nd2 = t * d;
  if (n <= 140) {
    if (nd2 <= 4) return 1 - durbinCdf(n, d);
    return Math.min(1, 2 * smirnovSurvival(n, d));
  }
  if (nd2 >= 370) return 0;
  if (nd2 >= 2.2) return Math.min(1, 2 * smirnovSurvival(n, d));
  const cdf = n <= 100_000 && n * d ** 1.5 <= 1.4 ? durbinCdf(n, d) : pelzGoodCdf(n, d);
  return Math.min(1, Math.max(0, 1 - cdf));
}
