import { describe, expect, it } from 'vitest';
import { RowReservoir, fraudBy, hashPriority, labelledBy } from './row-reservoir';

describe(RowReservoir.name, () => {
  const ids = Array.from({ length: 500 }, (_, i) => `tx-${i}`);
  const fill = (order: readonly string[]) => {
    const r = new RowReservoir(50, 1);
    for (const id of order) r.offer(hashPriority(id, 7), id, 'c', 0, 0.5, [1]);
    return r;
  };

  it('keeps the rows of the lowest hash priorities, whatever the arrival order', () => {
    const expected = [...ids].sort((a, b) => hashPriority(a, 7) - hashPriority(b, 7)).slice(0, 50);
    const forward = fill(ids);
    const backward = fill([...ids].reverse());
    expect(forward.size).toBe(50);
    expect(new Set(forward.rows().map((r) => r.id))).toEqual(new Set(expected));
    expect(new Set(backward.rows().map((r) => r.id))).toEqual(new Set(expected));
    const outside = ids.find((id) => !expected.includes(id)) ?? '';
    expect(forward.admits(hashPriority(outside, 7))).toBe(false);
  });

  it('keeps the earliest label time of each kind, lets fraud win, and survives a snapshot', () => {
    const r = fill(ids);
    const [a, b] = r.rows().map((row) => row.id);
    r.label(a ?? '', false, 10);
    r.label(a ?? '', true, 30);
    r.label(a ?? '', true, 20);
    r.label(b ?? '', false, 15);
    const restored = RowReservoir.restore(
      JSON.parse(JSON.stringify(r.snapshot())) as ReturnType<typeof r.snapshot>,
    );
    const rows = new Map(restored.rows().map((row) => [row.id, row]));
    const rowA = rows.get(a ?? '');
    const rowB = rows.get(b ?? '');
    if (!rowA || !rowB) throw new Error('rows lost');
    expect([fraudBy(rowA, 19), fraudBy(rowA, 20), labelledBy(rowA, 10)]).toEqual([false, true, true]);
    expect([fraudBy(rowB, 100), labelledBy(rowB, 14), labelledBy(rowB, 15)]).toEqual([false, false, true]);
    // the restored heap still evicts the highest priority first
    const again = [...ids, ...Array.from({ length: 500 }, (_, i) => `more-${i}`)];
    for (const id of again.slice(500)) restored.offer(hashPriority(id, 7), id, 'c', 0, 0.5, [1]);
    const expected = [...again].sort((x, y) => hashPriority(x, 7) - hashPriority(y, 7)).slice(0, 50);
    expect(new Set(restored.rows().map((row) => row.id))).toEqual(new Set(expected));
  });

  it("keeps each row's terminal through a snapshot, and restores an older snapshot without terminals as unknown", () => {
    const r = new RowReservoir(10, 0);
    r.offer(1, 'a', 'card-1', 0, 0.1, [], 'term-9');
    r.offer(2, 'b', 'card-2', 0, 0.2, []);
    const snapshot = JSON.parse(JSON.stringify(r.snapshot())) as ReturnType<typeof r.snapshot>;
    expect(
      RowReservoir.restore(snapshot)
        .rows()
        .map((row) => row.terminal),
    ).toEqual(['term-9', '']);
    const { terminals: _dropped, ...older } = snapshot;
    expect(
      RowReservoir.restore(older)
        .rows()
        .map((row) => row.terminal),
    ).toEqual(['', '']);
  });

  it('does not add a transaction twice', () => {
    const r = new RowReservoir(10, 0);
    r.offer(1, 'a', 'c', 0, 0.1, []);
    r.offer(1, 'a', 'c', 0, 0.1, []);
    expect(r.size).toBe(1);
  });
});
