import { STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { formatByteSize } from '../config/byte-size';
import type { HttpHardeningConfig } from '../config/http-hardening.config';

/**
 * Requests Node's HTTP parser refuses never reach Express or Nest: Node answers them itself with
 * a status and an empty body (and a client sees a bare "400"). These handlers answer them in the
 * node's JSON shape instead, saying what was wrong, with the headers every answer carries.
 */
export function answerClientErrors(server: Server, config: Pick<HttpHardeningConfig, 'maxHeaderBytes' | 'requestTimeoutSeconds'>): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    // As Node's own handler: answer only when nothing of an answer has been written yet.
    const answering = (socket as Duplex & { _httpMessage?: ServerResponse })._httpMessage;
    if (error.code === 'ECONNRESET' || !socket.writable || answering?.headersSent) {
      socket.destroy();
      return;
    }
    const { status, message } = describeParseError(error, config);
    socket.end(rawAnswer(status, message));
  });
  // An Expect header other than 100-continue: Node answers 417 with nothing more.
  server.on('checkExpectation', (request: IncomingMessage, response: ServerResponse) => {
    const status = 417;
    const body = refusalBody(status, `the Expect header ${JSON.stringify(String(request.headers.expect).slice(0, 40))} is not supported: only 100-continue is`);
    response.writeHead(status, { ...JSON_HEADERS, 'Content-Length': Buffer.byteLength(body), Connection: 'close' });
    response.end(body);
  });
}

/** Headers of every refusal written here; the rest of the node's answers get them from helmet. */
const JSON_HEADERS = {
  'Content-Type': 'application/json; charset=utf-8',
  'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Cache-Control': 'no-store',
};

function refusalBody(status: number, message: string): string {
  return JSON.stringify({ statusCode: status, error: STATUS_CODES[status] ?? 'Bad Request', message });
}

function rawAnswer(status: number, message: string): string {
  const body = refusalBody(status, message);
  const headers = Object.entries({ ...JSON_HEADERS, 'Content-Length': Buffer.byteLength(body), Connection: 'close' })
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  return `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n${headers}\r\n${body}`;
}

/** The status Node would have answered (see lib/_http_server.js), and a message a person can act on. */
export function describeParseError(
  error: NodeJS.ErrnoException,
  config: Pick<HttpHardeningConfig, 'maxHeaderBytes' | 'requestTimeoutSeconds'>,
): { status: number; message: string } {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, message: `the request head is larger than ${formatByteSize(config.maxHeaderBytes)} (MAX_HEADER_BYTES)` };
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return { status: 413, message: 'the chunk extensions of the body are too large' };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, message: `the request did not arrive in full within ${config.requestTimeoutSeconds} s (REQUEST_TIMEOUT_SECONDS)` };
    case 'HPE_INVALID_URL':
      return {
        status: 400,
        message:
          'the request target is not a valid URL: characters outside ASCII (Chinese, for example), spaces and control characters must be percent-encoded as UTF-8 (RFC 3986), as encodeURIComponent does',
      };
    case 'HPE_INVALID_METHOD':
      return { status: 400, message: 'the request method is not a valid HTTP method' };
    case 'HPE_INVALID_VERSION':
      return { status: 400, message: 'unsupported HTTP version: the node speaks HTTP/1.0 and HTTP/1.1' };
    case 'HPE_INVALID_HEADER_TOKEN':
    case 'HPE_INVALID_CONSTANT':
    case 'HPE_LF_EXPECTED':
    case 'HPE_CR_EXPECTED':
      return {
        status: 400,
        message: "a header line is malformed: a header name may hold only letters, digits and !#$%&'*+-.^_`|~, and each line ends with CRLF",
      };
    case 'HPE_UNEXPECTED_CONTENT_LENGTH':
      return { status: 400, message: 'the request has both Content-Length and Transfer-Encoding: send one of them' };
    case 'HPE_INVALID_CONTENT_LENGTH':
      return { status: 400, message: 'the Content-Length header is not a single decimal number' };
    case 'HPE_INVALID_TRANSFER_ENCODING':
      return { status: 400, message: 'the Transfer-Encoding header is not supported: the last encoding must be chunked' };
    case 'HPE_INVALID_CHUNK_SIZE':
    case 'HPE_STRICT':
      return { status: 400, message: 'the chunked body is malformed: each chunk starts with its size in hexadecimal and CRLF' };
    default:
      return { status: 400, message: `the request is not valid HTTP/1.1 (${error.code ?? 'parse error'})` };
  }
}
