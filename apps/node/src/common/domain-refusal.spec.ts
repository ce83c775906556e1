import { openReturnMessage, REFUSAL_KINDS, ReturnErrorBody, sealReturnMessage, generateSigningKey, newReturnNonce } from '@tdx/contracts';
import { DomainRefusal } from './domain-refusal';
import { httpAnswerOf } from './http-answer';

const rule = { rule: 'l4-never-opened', article: 'Article 4; DB33/T 2351', message: 'an L4 resource is never opened' };

describe('DomainRefusal over HTTP', () => {
  it('answers each kind with its status, in the shapes of the operator guide', () => {
    expect(httpAnswerOf(DomainRefusal.invalid([{ field: 'name', messages: ['name must be a string'] }]))).toEqual({
      status: 400,
      body: { statusCode: 400, error: 'Bad Request', message: 'Invalid request', fields: [{ field: 'name', messages: ['name must be a string'] }] },
    });
    expect(httpAnswerOf(DomainRefusal.forbidden('not yours'))).toEqual({ status: 403, body: { statusCode: 403, error: 'Forbidden', message: 'not yours' } });
    expect(httpAnswerOf(DomainRefusal.notFound('no entry x', { details: { missing: ['a'] } }))).toEqual({
      status: 404,
      body: { statusCode: 404, error: 'Not Found', message: 'no entry x', missing: ['a'] },
    });
    expect(httpAnswerOf(DomainRefusal.conflict('taken', 'code'))).toEqual({
      status: 409,
      body: { statusCode: 409, error: 'Conflict', message: 'taken', field: 'code' },
    });
    expect(httpAnswerOf(DomainRefusal.conflict('taken')).body).not.toHaveProperty('field');
    expect(httpAnswerOf(DomainRefusal.unavailable('later'))).toEqual({
      status: 503,
      body: { statusCode: 503, error: 'Service Unavailable', message: 'later' },
    });
  });

  it('answers a refusal by rules with 422, the first rule on its own and every rule in refusals', () => {
    const second = { rule: 'state-secret', article: 'Article 2', message: 'state secrets are outside the regulations' };
    expect(httpAnswerOf(DomainRefusal.refused([rule, second]))).toEqual({
      status: 422,
      body: { statusCode: 422, error: 'Unprocessable Entity', message: rule.message, rule: rule.rule, article: rule.article, refusals: [rule, second] },
    });
  });

  it('has a status for every kind', () => {
    for (const kind of REFUSAL_KINDS) expect(httpAnswerOf(new DomainRefusal(kind, 'x')).status).toBeGreaterThanOrEqual(400);
  });

  it('never builds a refusal by rules that names no rule', () => {
    expect(() => DomainRefusal.refused([])).toThrow('at least one rule');
  });
});

describe('DomainRefusal over the return protocol', () => {
  it('goes on the wire by kind, without an HTTP status, and fits the return.error schema', () => {
    const key = generateSigningKey();
    for (const refusal of [DomainRefusal.refused([rule], { permanent: true }), DomainRefusal.forbidden('replayed'), DomainRefusal.unavailable('busy')]) {
      const body = refusal.toWire();
      expect(body).not.toHaveProperty('status');
      const { data } = sealReturnMessage(
        { v: 1, kind: 'return.error', from: '330000', to: '330100', at: new Date().toISOString(), nonce: newReturnNonce(), body },
        key,
      );
      expect(openReturnMessage(data).message.body).toEqual(body);
    }
    expect(DomainRefusal.refused([rule], { permanent: true }).toWire()).toEqual({
      kind: 'refused',
      message: rule.message,
      rule: rule.rule,
      article: rule.article,
      permanent: true,
    });
  });

  it("answers a holder's refusal to the client in the same HTTP shape as a refusal of this node, refusals included", () => {
    const forwarded = DomainRefusal.fromWire(DomainRefusal.refused([rule]).toWire());
    expect(httpAnswerOf(forwarded)).toEqual(httpAnswerOf(DomainRefusal.refused([rule])));
    const body: ReturnErrorBody = { kind: 'not-found', message: 'entry x is not held at 330000', permanent: true };
    expect(httpAnswerOf(DomainRefusal.fromWire(body))).toEqual({ status: 404, body: { statusCode: 404, error: 'Not Found', message: body.message } });
    expect(DomainRefusal.fromWire(body).permanent).toBe(true);
  });
});
