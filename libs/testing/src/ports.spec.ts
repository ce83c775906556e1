import { freePort } from './ports';

describe('freePort', () => {
  it('never hands out the same port twice in one process, though each is free when asked for', async () => {
    // Without the record of ports handed out, 500 draws from the ephemeral range repeat one with
    // a probability of about 99%: the OS offers a closed port again.
    const ports: number[] = [];
    for (let i = 0; i < 500; i++) ports.push(await freePort());
    expect(new Set(ports).size).toBe(ports.length);
  });
});
