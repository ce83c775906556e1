import { Inject, Injectable } from '@nestjs/common';
import { headers as natsHeaders, Msg } from '@nats-io/transport-node';
import {
  newReturnNonce,
  openReturnMessage,
  RETURN_SIG_HEADER,
  ReturnMessage,
  ReturnMessageError,
  sealReturnMessage,
  verifyReturnMessage,
} from '@tdx/contracts';
import type { KeyObject } from 'node:crypto';
import { NODE_CONFIG, NodeRuntimeConfig } from '../config/node-config';
import { NatsLink } from '../core/nats-link';
import { TrustListService } from '../identity/trust-list.service';

type Kind = ReturnMessage['kind'];
type BodyOf<K extends Kind> = Extract<ReturnMessage, { kind: K }>['body'];

/** The holder could not be reached, or its answer could not be trusted: worth retrying. */
export class WireError extends Error {}

/**
 * Signed request/reply on `<ns>.return.<holder>.<requester>`: the receiver's side. Every request is signed
 * with this node's key and carries a new nonce; every reply must verify with the key the trust list
 * names for the holder, fit its kind's schema, and echo that nonce (an old answer is not taken).
 */
@Injectable()
export class ReturnWire {
  constructor(
    @Inject(NODE_CONFIG) private readonly config: NodeRuntimeConfig,
    private readonly nats: NatsLink,
    private readonly trust: TrustListService,
  ) {}

  async ask<K extends Kind>(holder: string, kind: K, body: BodyOf<K>, timeoutMs: number): Promise<{ message: ReturnMessage; attachment: Buffer | undefined }> {
    const keys = this.holderKeys(holder);
    if (!this.nats.isConnected()) throw new WireError('NATS is not connected');
    const { nc, names } = await this.nats.ready();
    const nonce = newReturnNonce();
    const { data, sig } = sealReturnMessage(
      { v: 1, kind, from: this.config.code, to: holder, at: new Date().toISOString(), nonce, body } as ReturnMessage,
      this.config.signingKey,
    );
    const h = natsHeaders();
    h.set(RETURN_SIG_HEADER, sig);
    let reply: Msg;
    try {
      reply = await nc.request(names.return(holder, this.config.code), data, { timeout: timeoutMs, headers: h });
    } catch (error) {
      throw new WireError(`holder ${holder} did not answer: ${(error as Error).message}`);
    }
    const replySig = reply.headers?.get(RETURN_SIG_HEADER);
    if (!keys.some((key) => verifyReturnMessage(reply.data, replySig, key))) {
      throw new WireError(`the answer from ${holder} does not carry ${holder}'s signature`);
    }
    let opened: ReturnType<typeof openReturnMessage>;
    try {
      opened = openReturnMessage(reply.data);
    } catch (error) {
      if (error instanceof ReturnMessageError) throw new WireError(`the answer from ${holder} is malformed: ${error.reason}`);
      throw error;
    }
    if (opened.message.from !== holder || opened.message.to !== this.config.code) {
      throw new WireError(`the answer from ${holder} is addressed from ${opened.message.from} to ${opened.message.to}`);
    }
    if (opened.message.re !== nonce) throw new WireError(`the answer from ${holder} does not answer this request (its nonce differs)`);
    return opened;
  }

  /** The holder's keys as the trust list names them; none while the list is missing or expired (fail closed, retried). */
  private holderKeys(holder: string): KeyObject[] {
    const trusted = this.trust.keyOf(holder);
    if (trusted.kind !== 'trusted') throw new WireError(`cannot check ${holder}'s signature: ${trusted.reason}`);
    return trusted.keys;
  }
}
