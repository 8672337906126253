/*
 * Distribution functions the statistics need, implemented once here so the lib has no numeric
 * dependency: ln Γ, the regularized incomplete gamma function and what follows from it (the
 * chi-square survival function, erfc and the normal tails). Each is checked against scipy in
 * special-functions.spec.ts (fixtures/reference-values.json).
 */

/** ln Γ(x) for x > 0 (Lanczos, g = 7, 9 terms; ~15 significant digits). */
export function logGamma(x: number): number {
  const g = 7;
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const y = x - 1;
  let a = c[0] ?? 0;
  const t = y + g + 0.5;
  for (let i = 1; i < g + 2; i++) a += (c[i] ?? 0) / (y + i);
  return 0.5 * Math.log(2 * Math.PI) + (y + 0.5) * Math.log(t) - t + Math.log(a);
}

/**
 * Regularized upper incomplete gamma Q(a, x) = Γ(a, x) / Γ(a): 1 − the series of P below a + 1
 * (where Q is not small, so the subtraction loses nothing that matters), the continued fraction
 * of Q above (relative accuracy in the far tail, down to the underflow of exp(−x)).
 */
export function gammaQ(a: number, x: number): number {
  if (Number.isNaN(a) || Number.isNaN(x)) return Number.NaN;
  if (x <= 0) return 1;
  if (x === Number.POSITIVE_INFINITY) return 0;
  const lnPrefix = -x + a * Math.log(x) - logGamma(a);
  if (x < a + 1) {
    let term = 1 / a;
    let sum = term;
    for (let n = 1; n < 1000; n++) {
      term *= x / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-16) break;
    }
    return Math.max(0, 1 - sum * Math.exp(lnPrefix));
  }
  // Lentz's method for the continued fraction of Γ(a, x).
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 1000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.min(1, Math.exp(lnPrefix) * h);
}

/** P(X >= x) for X chi-square distributed with `df` degrees of freedom (scipy.stats.chi2.sf). */
export function chiSquareSurvival(x: number, df: number): number {
  if (Number.isNaN(x) || Number.isNaN(df)) return Number.NaN;
  if (df <= 0) return 1;
  return gammaQ(df / 2, x / 2);
}

/**
 * Complementary error function (scipy.special.erfc), as Q(1/2, x²): relative accuracy in the tail,
 * where 1 − erf(x) would round to 0 long before erfc underflows (x ≈ 27).
 */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  const q = gammaQ(0.5, x * x);
  return x >= 0 ? q : 2 - q;
}

/** P(Z <= z) for a standard normal Z (scipy.stats.norm.cdf). */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2);
}

/** P(Z >= z) for a standard normal Z (scipy.stats.norm.sf): no cancellation in the upper tail. */
export function normalSurvival(z: number): number {
  return 0.5 * erfc(z / Math.SQRT2);
}
