import { describe, expect, it } from 'vitest';
import { counterfactualRows, severityOf, topReasons } from './alert-reasons';

describe(severityOf.name, () => {
  it('bands the score by quarter of the range above the threshold', () => {
    // threshold 0.6: range 0.4, quarters at 0.7, 0.8, 0.9
    expect(severityOf(0.6, 0.6)).toBe('LOW');
    expect(severityOf(0.69, 0.6)).toBe('LOW');
    expect(severityOf(0.72, 0.6)).toBe('MEDIUM');
    expect(severityOf(0.85, 0.6)).toBe('HIGH');
    expect(severityOf(0.95, 0.6)).toBe('CRITICAL');
    expect(severityOf(1, 1)).toBe('CRITICAL');
  });
});

describe(counterfactualRows.name, () => {
  it('replaces one feature at a time with its median', () => {
    const rows = Float32Array.from([1, 2, 3, 4]); // two rows of width 2
    const out = counterfactualRows(rows, 2, [1], Float32Array.from([0, 9]));
    expect(Array.from(out)).toEqual([0, 4, 3, 9]);
  });
});

describe(topReasons.name, () => {
  it('ranks positive contributions, strongest first', () => {
    const reasons = topReasons(
      0.9,
      Float32Array.from([0.5, 0.95, 0.8, 0.2]),
      Float32Array.from([1, 2, 3, 4]),
      ['a', 'b', 'c', 'd'],
      2,
    );
    expect(reasons.map((r) => r.feature)).toEqual(['d', 'a']);
    expect(reasons[0]?.contribution).toBeCloseTo(0.7, 6);
    expect(reasons[0]?.value).toBe(4);
    expect(reasons[1]?.contribution).toBeCloseTo(0.4, 6);
  });
});
