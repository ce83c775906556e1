import { randomBytes } from 'node:crypto';
import { AccessClaims, signAccessToken, verifyAccessToken } from './access-token';

const secret = randomBytes(32);
const claims: AccessClaims = { sub: 'a1', name: 'admin', iss: 'tdx:330000', aud: 'tdx:330000', iat: 1000, exp: 1900, jti: 'j1', sid: 's1', typ: 'access' };

describe('access tokens', () => {
  it('verifies its own token until it expires', () => {
    const token = signAccessToken(claims, secret);
    expect(verifyAccessToken(token, secret, 'tdx:330000', 1899)).toEqual(claims);
    expect(verifyAccessToken(token, secret, 'tdx:330000', 1900)).toBeUndefined();
  });

  it('refuses another node, another secret, a changed payload and alg none', () => {
    const token = signAccessToken(claims, secret);
    expect(verifyAccessToken(token, secret, 'tdx:330100', 1500)).toBeUndefined();
    expect(verifyAccessToken(token, randomBytes(32), 'tdx:330000', 1500)).toBeUndefined();
    const [header, , sig] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ ...claims, sub: 'a2' })).toString('base64url');
    expect(verifyAccessToken(`${header}.${forged}.${sig}`, secret, 'tdx:330000', 1500)).toBeUndefined();
    const none = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    expect(verifyAccessToken(`${none}.${token.split('.')[1]}.`, secret, 'tdx:330000', 1500)).toBeUndefined();
    expect(verifyAccessToken('not-a-token', secret, 'tdx:330000', 1500)).toBeUndefined();
  });

  it('accepts only the canonical base64url spelling of the signature and the payload', () => {
    // A secret whose signature uses `-` or `_`, so that the standard alphabet spells it differently.
    const key = Array.from({ length: 64 }, (_, i) => Buffer.alloc(32, i)).find((k) => /[-_]/.test(signAccessToken(claims, k).split('.')[2])) as Buffer;
    const token = signAccessToken(claims, key);
    const [header, payload, sig] = token.split('.');
    const standard = Buffer.from(sig, 'base64url').toString('base64');
    // 32 bytes in 43 characters: the last one carries two bits no decoder reads.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const strayBits = `${sig.slice(0, -1)}${alphabet[alphabet.indexOf(sig[sig.length - 1]) ^ 1]}`;
    const variants = [`${sig}=`, standard, standard.replace(/=+$/, ''), strayBits, `${sig}\n`];
    for (const variant of variants) {
      expect(Buffer.from(variant, 'base64url')).toEqual(Buffer.from(sig, 'base64url')); // the same signature bytes
      expect(verifyAccessToken(`${header}.${payload}.${variant}`, key, 'tdx:330000', 1500)).toBeUndefined();
    }
    expect(verifyAccessToken(`${header}.${payload}=.${sig}`, key, 'tdx:330000', 1500)).toBeUndefined();
    expect(verifyAccessToken(token, key, 'tdx:330000', 1500)).toEqual(claims);
  });
});
