import { HOUR_MS } from '@fraudstream/contracts';
import { SEQUENCE_STEP_WIDTH } from './feature-set';

/** One earlier transaction of a card, as the sequence block needs it. */
export interface CardHistoryStep {
  /** Event time. */
  readonly time: number;
  /** Amount in integer cents (the windows' unit, exact in every backend). */
  readonly cents: number;
  readonly cardNotPresent: boolean;
  readonly terminalId: string;
  /** Its terminal was not among the card's steps kept before it (decided when it was counted). */
  readonly newTerminal: boolean;
}

/** What the pipeline counts into a card's history; the store decides `newTerminal` from its ring. */
export type CardHistoryEntry = Omit<CardHistoryStep, 'newTerminal'>;

/**
 * The step a card's ring of `steps` (oldest first, at most `capacity` of them) gets for `entry`:
 * new terminal unless one of the kept steps was at the same terminal. Every store appends with
 * this, so the novelty bit means the same in each.
 */
export function historyStepOf(steps: readonly CardHistoryStep[], entry: CardHistoryEntry): CardHistoryStep {
  let seen = false;
  for (const step of steps)
    if (step.terminalId === entry.terminalId) {
      seen = true;
      break;
    }
  return { ...entry, newTerminal: !seen };
}

/** Appends `entry` to a card's ring in place, dropping the oldest beyond `capacity`. */
export function appendHistoryStep(steps: CardHistoryStep[], entry: CardHistoryEntry, capacity: number): void {
  steps.push(historyStepOf(steps, entry));
  while (steps.length > capacity) steps.shift();
}

const MINUTE_MS = 60_000;

/**
 * Writes the [K, S] block of a transaction at `time` into `out` from `offset` on, row-major: the last
 * K of `steps` (oldest first) right-aligned, so row K-1 is the latest earlier transaction and the
 * missing rows (a card with fewer than K) are all zero, `present` included. Per row, the features of
 * SEQUENCE_STEP_FEATURES in order. A step later than `time` (a batch that arrived out of event-time
 * order) counts as a gap of 0.
 */
export function writeSequenceBlock(
  time: number,
  steps: readonly CardHistoryStep[],
  blockSteps: number,
  out: number[],
  offset: number,
): void {
  const S = SEQUENCE_STEP_WIDTH;
  const m = Math.min(steps.length, blockSteps);
  const first = steps.length - m;
  let cents = 0;
  for (let j = first; j < steps.length; j++) cents += steps[j]?.cents ?? 0;
  const meanAmount = m > 0 ? cents / m / 100 : 0;
  const pad = blockSteps - m;
  for (let k = 0; k < pad * S; k++) out[offset + k] = 0;
  for (let j = 0; j < m; j++) {
    const step = steps[first + j];
    if (!step) continue;
    const amount = step.cents / 100;
    const at = offset + (pad + j) * S;
    out[at] = 1;
    out[at + 1] = Math.log1p(Math.max(0, amount));
    out[at + 2] = Math.log1p(Math.max(0, time - step.time) / MINUTE_MS);
    out[at + 3] = step.cardNotPresent ? 1 : 0;
    out[at + 4] = Math.floor(step.time / HOUR_MS) % 24 < 6 ? 1 : 0; // isNight, inlined
    out[at + 5] = step.newTerminal ? 1 : 0;
    out[at + 6] = meanAmount > 0 ? amount / meanAmount : 1;
  }
}

/** A number as text that reads back as the same float64 (-0 included, which String() writes as 0). */
function exactText(value: number): string {
  return Object.is(value, -0) ? '-0' : String(value);
}

/** The separator of a ring's steps in encodeHistoryRing(): never inside an encoded step. */
export const HISTORY_STEP_SEPARATOR = '\n';

/**
 * A step as one line, for a store that keeps a card's ring as text (Redis):
 * `<time>,<cents>,<flags>,<terminal>` with flags = card not present (1) | new terminal (2). The
 * numbers are written so they read back as the same float64; the terminal id comes last with its
 * backslashes and line breaks escaped (`\\`, `\n`), so it may hold any character and the line none:
 * decodeHistoryStep(encodeHistoryStep(s)) equals s, and the block built from decoded steps equals
 * the one built from the originals bit for bit.
 */
export function encodeHistoryStep(step: CardHistoryStep): string {
  const flags = (step.cardNotPresent ? 1 : 0) | (step.newTerminal ? 2 : 0);
  const id = step.terminalId;
  const escaped =
    id.includes('\\') || id.includes('\n') ? id.replace(/[\\\n]/g, (c) => (c === '\n' ? '\\n' : '\\\\')) : id;
  return `${exactText(step.time)},${exactText(step.cents)},${flags},${escaped}`;
}

/** Steps (oldest first) as one string: their encodeHistoryStep() lines joined by HISTORY_STEP_SEPARATOR. */
export function encodeHistoryRing(steps: readonly CardHistoryStep[]): string {
  return steps.map(encodeHistoryStep).join(HISTORY_STEP_SEPARATOR);
}

/** The steps of an encodeHistoryRing() string, oldest first ('' is an empty ring). */
export function decodeHistoryRing(text: string): CardHistoryStep[] {
  return text === '' ? [] : text.split(HISTORY_STEP_SEPARATOR).map(decodeHistoryStep);
}

/** The step encodeHistoryStep() wrote; throws on anything else (a ring written by other code is not guessed at). */
export function decodeHistoryStep(text: string): CardHistoryStep {
  const first = text.indexOf(',');
  const second = text.indexOf(',', first + 1);
  const third = text.indexOf(',', second + 1);
  const time = Number(text.slice(0, first));
  const cents = Number(text.slice(first + 1, second));
  const flags = text.slice(second + 1, third);
  if (
    first <= 0 ||
    second <= first + 1 ||
    third !== second + 2 ||
    !Number.isFinite(time) ||
    !Number.isFinite(cents) ||
    flags < '0' ||
    flags > '3'
  )
    throw new Error(`card history step "${text}" is not <time>,<cents>,<flags 0-3>,<terminal>`);
  const bits = flags.charCodeAt(0) - 48;
  const id = text.slice(third + 1);
  return {
    time,
    cents,
    cardNotPresent: (bits & 1) !== 0,
    terminalId: id.includes('\\') ? id.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c)) : id,
    newTerminal: (bits & 2) !== 0,
  };
}
