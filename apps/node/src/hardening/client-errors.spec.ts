import { describeParseError } from './client-errors';

const config = { maxHeaderBytes: 16 * 1024, requestTimeoutSeconds: 300 };
const of = (code: string) => describeParseError(Object.assign(new Error('parse error'), { code }), config);

describe('describeParseError', () => {
  it('keeps the status Node would answer and names the limit or the fault', () => {
    expect(of('HPE_HEADER_OVERFLOW')).toEqual({ status: 431, message: expect.stringContaining('16 KiB (MAX_HEADER_BYTES)') });
    expect(of('ERR_HTTP_REQUEST_TIMEOUT')).toEqual({ status: 408, message: expect.stringContaining('300 s (REQUEST_TIMEOUT_SECONDS)') });
    expect(of('HPE_CHUNK_EXTENSIONS_OVERFLOW').status).toBe(413);
    expect(of('HPE_INVALID_URL')).toEqual({ status: 400, message: expect.stringContaining('percent-encoded as UTF-8') });
    expect(of('HPE_SOMETHING_NEW')).toEqual({ status: 400, message: 'the request is not valid HTTP/1.1 (HPE_SOMETHING_NEW)' });
  });
});
