import { registerDecorator, ValidationOptions } from 'class-validator';

// GB 32100-2015 unified social credit code: 17 characters and a mod-31 check character.
const ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

export function isUnifiedCreditCode(value: unknown): boolean {
  if (typeof value !== 'string' || value.length !== 18) return false;
  const digits = [...value].map((c) => ALPHABET.indexOf(c));
  if (digits.some((d) => d < 0)) return false;
  const sum = WEIGHTS.reduce((acc, weight, i) => acc + weight * digits[i], 0);
  return (31 - (sum % 31)) % 31 === digits[17];
}

export function IsUnifiedCreditCode(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isUnifiedCreditCode',
      target: target.constructor,
      propertyName: String(propertyName),
      options: { message: '$property must be an 18-character unified social credit code (GB 32100-2015) with a valid check character', ...options },
      validator: { validate: isUnifiedCreditCode },
    });
}
