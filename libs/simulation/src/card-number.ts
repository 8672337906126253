/** The simulated bank's issuer prefix (a Visa-range IIN; the numbers pass Luhn but belong to no card). */
export const SIMULATED_IIN = '499999';

const ACCOUNT_SPACE = 1_000_000_000;
/** Odd and not a multiple of 5, so coprime with 10^9: index → account number is one-to-one. */
const ACCOUNT_STRIDE = 387_420_489;

/** The Luhn (mod 10) check digit of a string of digits. */
export function luhnCheckDigit(digits: string): number {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    // From the right, the digit next to the check digit is doubled, then every second one.
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return (10 - (sum % 10)) % 10;
}

/** Whether a card number's last digit is its Luhn check digit. */
export function isLuhnValid(pan: string): boolean {
  return /^\d{2,19}$/.test(pan) && luhnCheckDigit(pan.slice(0, -1)) === Number(pan.slice(-1));
}

/**
 * The 16-digit card number (PAN) of a simulated customer: the IIN, a 9-digit account number and the
 * Luhn check digit. Derived from the seed and the customer's index only, so the same customer has
 * the same number in every run, and distinct customers of a seed (fewer than 10^9) never share one.
 * It exists at the simulator's Kafka edge only, where it is tokenised (docs/security.md).
 */
export function simulatedCardNumber(seed: number, customerIndex: number): string {
  const offset = Math.abs(Math.imul(seed | 0, 2_654_435_761 | 0)) % ACCOUNT_SPACE;
  const account =
    (Number((BigInt(customerIndex) * BigInt(ACCOUNT_STRIDE)) % BigInt(ACCOUNT_SPACE)) + offset) %
    ACCOUNT_SPACE;
  const body = `${SIMULATED_IIN}${String(account).padStart(9, '0')}`;
  return `${body}${luhnCheckDigit(body)}`;
}
