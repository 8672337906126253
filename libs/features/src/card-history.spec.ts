import { describe, expect, it } from 'vitest';
import {
  appendHistoryStep,
  decodeHistoryRing,
  decodeHistoryStep,
  encodeHistoryRing,
  encodeHistoryStep,
  writeSequenceBlock,
  type CardHistoryStep,
} from './card-history';
import { SEQUENCE_STEP_WIDTH, SEQUENCE_STEPS } from './feature-set';

const T0 = Date.UTC(2026, 0, 5, 12, 0, 0);

describe(encodeHistoryStep.name, () => {
  it('reads back every step as it was, whatever its terminal id holds', () => {
    const steps: CardHistoryStep[] = [
      { time: T0, cents: 1234, cardNotPresent: false, terminalId: 'm1', newTerminal: true },
      { time: T0 + 1, cents: 0, cardNotPresent: true, terminalId: 'a,b,,c', newTerminal: false },
      { time: T0 + 2, cents: -0, cardNotPresent: true, terminalId: 'line\nbreak \\n\\', newTerminal: true },
      {
        time: 0,
        cents: 9_007_199_254_740_991,
        cardNotPresent: false,
        terminalId: 'tërminal 7',
        newTerminal: false,
      },
    ];
    for (const step of steps) {
      const back = decodeHistoryStep(encodeHistoryStep(step));
      expect(back).toEqual(step);
      expect(Object.is(back.cents, step.cents)).toBe(true); // -0 stays -0
    }
    expect(encodeHistoryStep(steps[0]!)).toBe(`${T0},1234,2,m1`);
    // One line per step, whatever the terminal ids hold: a ring reads back step for step.
    expect(steps.map(encodeHistoryStep).every((line) => !line.includes('\n'))).toBe(true);
    expect(decodeHistoryRing(encodeHistoryRing(steps))).toEqual(steps);
    expect(decodeHistoryRing('')).toEqual([]);
  });

  it('gives the block bit for bit from decoded steps', () => {
    const ring: CardHistoryStep[] = [];
    for (let i = 0; i < SEQUENCE_STEPS + 3; i++)
      appendHistoryStep(
        ring,
        {
          time: T0 + i * 61_001,
          cents: 1 + ((i * 7919) % 100_003),
          cardNotPresent: i % 3 === 0,
          terminalId: `m${i % 5}`,
        },
        SEQUENCE_STEPS,
      );
    const decoded = ring.map((s) => decodeHistoryStep(encodeHistoryStep(s)));
    const width = SEQUENCE_STEPS * SEQUENCE_STEP_WIDTH;
    const a = new Array<number>(width);
    const b = new Array<number>(width);
    writeSequenceBlock(T0 + 40 * 60_000, ring, SEQUENCE_STEPS, a, 0);
    writeSequenceBlock(T0 + 40 * 60_000, decoded, SEQUENCE_STEPS, b, 0);
    expect(b).toEqual(a);
  });

  it('refuses a step it did not write', () => {
    for (const text of ['', '1,2,3', 'x,2,1,m1', '1,,1,m1', '1,2,4,m1', '1,2,10,m1', ',2,1,m1'])
      expect(() => decodeHistoryStep(text), text).toThrow(/is not <time>,<cents>,<flags 0-3>,<terminal>/);
  });
});
