import { describe, expect, it } from 'vitest';
import { federatedAverage } from './federated-averaging';

describe(federatedAverage.name, () => {
  it('averages every tensor weighted by the rows each region trained on', () => {
    // Region a: 300 rows, b: 100 rows -> shares 3/4 and 1/4.
    const average = federatedAverage([
      { region: 'a', rows: 300, weights: [Float32Array.of(1, 2), Float32Array.of(4)] },
      { region: 'b', rows: 100, weights: [Float32Array.of(5, -2), Float32Array.of(0)] },
    ]);
    expect(Array.from(average[0] ?? [])).toEqual([0.75 * 1 + 0.25 * 5, 0.75 * 2 + 0.25 * -2]);
    expect(Array.from(average[1] ?? [])).toEqual([3]);
  });

  it('gives equal regions the plain mean, and one region its own weights', () => {
    const a = { region: 'a', rows: 50, weights: [Float32Array.of(0.5, -1)] };
    const b = { region: 'b', rows: 50, weights: [Float32Array.of(1.5, 3)] };
    expect(Array.from(federatedAverage([a, b])[0] ?? [])).toEqual([1, 1]);
    expect(Array.from(federatedAverage([a])[0] ?? [])).toEqual([0.5, -1]);
    // A region with no row weighs nothing.
    expect(Array.from(federatedAverage([a, { ...b, rows: 0 }])[0] ?? [])).toEqual([0.5, -1]);
  });

  it('refuses networks of different shapes and updates without rows', () => {
    const a = { region: 'a', rows: 1, weights: [Float32Array.of(1, 2)] };
    expect(() => federatedAverage([a, { region: 'b', rows: 1, weights: [Float32Array.of(1)] }])).toThrow(
      /shape/,
    );
    expect(() => federatedAverage([{ ...a, rows: 0 }])).toThrow(RangeError);
    expect(() => federatedAverage([])).toThrow(RangeError);
  });
});
