import { describe, expect, it } from 'vitest';
import { SIMULATED_IIN, isLuhnValid, luhnCheckDigit, simulatedCardNumber } from './card-number';

describe(simulatedCardNumber.name, () => {
  it('computes the Luhn check digit of the published examples', () => {
    // ISO/IEC 7812-1 worked example, and the well-known Visa test number.
    expect(luhnCheckDigit('7992739871')).toBe(3);
    expect(isLuhnValid('79927398713')).toBe(true);
    expect(isLuhnValid('4111111111111111')).toBe(true);
    expect(isLuhnValid('4111111111111112')).toBe(false);
    expect(isLuhnValid('41111111111x1111')).toBe(false);
  });

  it('gives each customer of a seed its own 16-digit Luhn-valid number, the same in every run', () => {
    const numbers = Array.from({ length: 20_000 }, (_, i) => simulatedCardNumber(7, i));
    const shape = new RegExp(`^${SIMULATED_IIN}\\d{10}$`);
    expect(numbers.filter((pan) => !shape.test(pan) || !isLuhnValid(pan))).toEqual([]);
    expect(new Set(numbers).size).toBe(numbers.length);
    expect(simulatedCardNumber(7, 123)).toBe(numbers[123]);
    expect(simulatedCardNumber(8, 123)).not.toBe(numbers[123]);
  });
});
