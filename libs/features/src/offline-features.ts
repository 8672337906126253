import { DAY_MS, HOUR_MS, type Label, type Transaction } from '@fraudstream/contracts';
import { writeSequenceBlock, type CardHistoryStep } from './card-history';
import { amountCents, DEFAULT_FEATURE_SET, SEQUENCE_STEPS, type FeatureSet } from './feature-set';
import { assembleFeatureVector, emptyCardAggregates, type TerminalAggregates } from './feature-vector';

interface Seen {
  readonly hour: number;
  readonly day: number;
  readonly cents: number;
}

interface KnownFraud {
  readonly transactionId: string;
  readonly hour: number;
  readonly day: number;
  readonly knownAt: number;
}

/**
 * Recomputes the feature vectors of a whole stream from scratch, straight from the definitions
 * (no incremental state): for each transaction, the card's and terminal's earlier transactions in
 * the 24 hourly / 7 and 30 daily buckets ending with its own, and the frauds among the terminal's
 * transactions whose label was known at its event time (label.event_time <= tx.event_time); for a
 * set with delayed terminal windows, the same over the 1, 7 and 30 days ending d + 1 days before
 * its day. For a set with a sequence block, the block of the card's last K transactions before it,
 * each step's terminal novelty judged against the SEQUENCE_STEPS transactions of the card before
 * that step.
 * Transactions are taken in stable event-time order, as FeaturePipeline takes them; vectors come
 * back in input order. Quadratic in a card's 30-day history: for tests and audits, not for serving.
 */
export function computeFeaturesOffline(
  transactions: readonly Transaction[],
  labels: readonly Label[],
  set: FeatureSet = DEFAULT_FEATURE_SET,
): number[][] {
  const order = transactions
    .map((tx, i) => ({ tx, i }))
    .sort((a, b) => a.tx.event_time - b.tx.event_time || a.i - b.i);
  const cardHistory = new Map<string, Seen[]>();
  const terminalHistory = new Map<string, Seen[]>();
  const frauds = new Map<string, KnownFraud[]>();
  /** Every transaction of each card (and of its next token), in the order they were taken. */
  const cardTransactions = new Map<string, Omit<CardHistoryStep, 'newTerminal'>[]>();
  for (const label of labels) {
    if (!label.is_fraud) continue;
    const list = frauds.get(label.terminal_id) ?? [];
    list.push({
      transactionId: label.transaction_id,
      hour: Math.floor(label.transaction_time / HOUR_MS),
      day: Math.floor(label.transaction_time / DAY_MS),
      knownAt: label.event_time,
    });
    frauds.set(label.terminal_id, list);
  }

  const out = new Array<number[]>(transactions.length);
  for (const { tx, i } of order) {
    const hour = Math.floor(tx.event_time / HOUR_MS);
    const day = Math.floor(tx.event_time / DAY_MS);
    const inHours = (s: { hour: number }) => s.hour > hour - 24 && s.hour <= hour;
    const inDays = (s: { day: number }, days: number) => s.day > day - days && s.day <= day;
    const lastDelayed = day - set.terminalDelayDays - 1;
    const inDelayed = (s: { day: number }, days: number) =>
      s.day > lastDelayed - days && s.day <= lastDelayed;

    const cards = cardHistory.get(tx.card_id) ?? [];
    const card = emptyCardAggregates();
    for (const s of cards) {
      if (inHours(s)) {
        card.count1d += 1;
        card.cents1d += s.cents;
      }
      if (inDays(s, 7)) {
        card.count7d += 1;
        card.cents7d += s.cents;
      }
      if (inDays(s, 30)) {
        card.count30d += 1;
        card.cents30d += s.cents;
      }
    }

    const terminals = terminalHistory.get(tx.terminal_id) ?? [];
    const terminal: TerminalAggregates = {
      count1d: terminals.filter(inHours).length,
      frauds1d: 0,
      count7d: terminals.filter((s) => inDays(s, 7)).length,
      frauds7d: 0,
      count30d: terminals.filter((s) => inDays(s, 30)).length,
      frauds30d: 0,
      delayedCount1d: terminals.filter((s) => inDelayed(s, 1)).length,
      delayedFrauds1d: 0,
      delayedCount7d: terminals.filter((s) => inDelayed(s, 7)).length,
      delayedFrauds7d: 0,
      delayedCount30d: terminals.filter((s) => inDelayed(s, 30)).length,
      delayedFrauds30d: 0,
    };
    const counted = new Set<string>();
    for (const f of frauds.get(tx.terminal_id) ?? []) {
      if (f.knownAt > tx.event_time || counted.has(f.transactionId)) continue;
      counted.add(f.transactionId);
      if (inHours(f)) terminal.frauds1d += 1;
      if (inDays(f, 7)) terminal.frauds7d += 1;
      if (inDays(f, 30)) terminal.frauds30d += 1;
      if (inDelayed(f, 1)) terminal.delayedFrauds1d += 1;
      if (inDelayed(f, 7)) terminal.delayedFrauds7d += 1;
      if (inDelayed(f, 30)) terminal.delayedFrauds30d += 1;
    }

    const vector = assembleFeatureVector(tx, card, terminal, set);
    if (set.sequenceSteps > 0) {
      const all = cardTransactions.get(tx.card_id) ?? [];
      const steps: CardHistoryStep[] = [];
      for (let j = Math.max(0, all.length - set.sequenceSteps); j < all.length; j++) {
        const step = all[j];
        if (!step) continue;
        const before = all.slice(Math.max(0, j - SEQUENCE_STEPS), j);
        steps.push({ ...step, newTerminal: !before.some((b) => b.terminalId === step.terminalId) });
      }
      writeSequenceBlock(tx.event_time, steps, set.sequenceSteps, vector, set.flatWidth);
    }
    out[i] = vector;
    const step = {
      time: tx.event_time,
      cents: amountCents(tx.amount),
      cardNotPresent: tx.channel === 'CARD_NOT_PRESENT',
      terminalId: tx.terminal_id,
    };
    for (const id of tx.card_token_next && tx.card_token_next !== tx.card_id
      ? [tx.card_id, tx.card_token_next]
      : [tx.card_id]) {
      const list = cardTransactions.get(id) ?? [];
      list.push(step);
      cardTransactions.set(id, list);
    }
    const seen: Seen = { hour, day, cents: amountCents(tx.amount) };
    cards.push(seen);
    cardHistory.set(tx.card_id, cards);
    // A key rotation's bridge: the card's history is kept under its next token too.
    const next = tx.card_token_next;
    if (next && next !== tx.card_id) {
      const bridged = cardHistory.get(next) ?? [];
      bridged.push(seen);
      cardHistory.set(next, bridged);
    }
    terminals.push(seen);
    terminalHistory.set(tx.terminal_id, terminals);
  }
  return out;
}
