/** Bounds of a password: long enough to resist guessing, short enough that hashing it is no denial of service. */
export const PASSWORD_MIN = 12;
export const PASSWORD_MAX = 256;

/**
 * Why a password is too weak, or undefined when it is acceptable: at least 12 characters of at
 * least three kinds (lower case, upper case, digits, others), and not containing the user name.
 * The message never repeats the password.
 */
export function passwordProblem(password: string, username?: string): string | undefined {
  if (password.length < PASSWORD_MIN) return `must be at least ${PASSWORD_MIN} characters`;
  if (password.length > PASSWORD_MAX) return `must be at most ${PASSWORD_MAX} characters`;
  const kinds = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^a-zA-Z0-9]/].filter((kind) => kind.test(password)).length;
  if (kinds < 3) return 'must mix at least three of: lower-case letters, upper-case letters, digits, other characters';
  if (username && password.toLowerCase().includes(username.toLowerCase())) return 'must not contain the user name';
  return undefined;
}
