import { randomBytes } from 'node:crypto';
import { AccessClaims, signAccessToken, verifyAccessToken } from './access-token';

const secret = randomBytes(32);
const claims: AccessClaims = { sub: 'a1', name: 'admin', iss: 'tdx:330000', aud: 'tdx:330000', iat: 1000, exp: 1900, jti: 'j1', typ: 'access' };

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
});
