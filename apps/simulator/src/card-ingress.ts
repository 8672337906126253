import { tokenWith, type CardTokeniser, type TokenKey } from '@fraudstream/pii';
import { simulatedCardNumber, type TransactionSimulator } from '@fraudstream/simulation';

/** Cards whose tokens are remembered per key (a bank's file may hold millions: the memory stays bounded). */
const MAX_CACHED_CARDS = 1_000_000;

/**
 * The ingress of card identifiers: what a source calls a card becomes the bank's raw identifier
 * (the simulator's customers: their 16-digit card numbers; a bank's file: its own card or customer
 * ids), and that becomes a token. Nothing past this class sees the raw identifier: the sink writes
 * tokens only, and no log line here names one.
 */
export class CardIngress {
  private readonly cache = new Map<TokenKey, Map<string, string>>();

  constructor(
    private readonly tokeniser: CardTokeniser,
    private readonly rawId: (sourceCardId: string) => string,
  ) {}

  /** Ingress of a bank's file: its card ids are the raw identifiers. */
  static forFile(tokeniser: CardTokeniser): CardIngress {
    return new CardIngress(tokeniser, (id) => id);
  }

  /** Ingress of the simulator: a customer's card number (`simulatedCardNumber`) is its raw identifier. */
  static forSimulator(tokeniser: CardTokeniser, simulator: TransactionSimulator): CardIngress {
    const seed = simulator.options.seed;
    const numbers = new Map(
      simulator.population.customers.map((c) => [c.id, simulatedCardNumber(seed, c.index)]),
    );
    return new CardIngress(tokeniser, (id) => {
      const pan = numbers.get(id);
      if (pan === undefined) throw new Error(`card ${id} is not a customer of the simulated population`);
      return pan;
    });
  }

  /** The token of a source's card for a record of this event time (a label: its transaction's time). */
  token(sourceCardId: string, eventTime: number): string {
    return this.tokenUnder(this.tokeniser.keyAt(eventTime), sourceCardId);
  }

  /**
   * During a key rotation, before its cutover: the card's token under the next key (a transaction
   * carries it as `card_token_next`, so the scorer keeps the card's windows under both); else null.
   */
  nextToken(sourceCardId: string, eventTime: number): string | null {
    const next = this.tokeniser.nextKeyAfter(eventTime);
    return next ? this.tokenUnder(next, sourceCardId) : null;
  }

  private tokenUnder(key: TokenKey, sourceCardId: string): string {
    let tokens = this.cache.get(key);
    if (!tokens) {
      tokens = new Map();
      this.cache.set(key, tokens);
    }
    let token = tokens.get(sourceCardId);
    if (token === undefined) {
      if (tokens.size >= MAX_CACHED_CARDS) tokens.clear();
      token = tokenWith(key, this.rawId(sourceCardId));
      tokens.set(sourceCardId, token);
    }
    return token;
  }
}
