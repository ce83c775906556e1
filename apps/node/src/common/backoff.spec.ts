import { Backoff, retryWithBackoff } from './backoff';

describe('Backoff', () => {
  it('doubles from 250 ms up to its cap, and starts over after a reset', () => {
    const backoff = new Backoff(5_000);
    expect(Array.from({ length: 7 }, () => backoff.next())).toEqual([250, 500, 1000, 2000, 4000, 5000, 5000]);
    backoff.reset();
    expect(backoff.next()).toBe(250);
  });
});

describe('retryWithBackoff', () => {
  const waited: number[] = [];
  const wait = async (ms: number) => void waited.push(ms);
  beforeEach(() => waited.splice(0));

  it('retries a failing attempt, waiting longer each time, and returns what it finally gives', async () => {
    let calls = 0;
    const reported: string[] = [];
    const result = await retryWithBackoff(
      async () => {
        if (++calls < 4) throw new Error(`failure ${calls}`);
        return 'done';
      },
      { maxMs: 1000, running: () => true, wait, onError: (error, delay) => void reported.push(`${error.message} ${delay}`) },
    );
    expect(result).toBe('done');
    expect(reported).toEqual(['failure 1 250', 'failure 2 500', 'failure 3 1000']);
    expect(waited).toEqual([250, 500, 1000]);
  });

  it('stops once the owner stops, without reporting the failure seen after that', async () => {
    let running = true;
    const reported: string[] = [];
    const result = await retryWithBackoff(
      async () => {
        if (waited.length === 2) running = false;
        throw new Error('down');
      },
      { maxMs: 1000, running: () => running, wait, onError: (error) => void reported.push(error.message) },
    );
    expect(result).toBeUndefined();
    expect(reported).toEqual(['down', 'down']);
  });

  it('never starts an attempt when the owner has already stopped', async () => {
    const attempt = jest.fn(async () => 'never');
    await expect(retryWithBackoff(attempt, { maxMs: 1000, running: () => false, wait, onError: () => undefined })).resolves.toBeUndefined();
    expect(attempt).not.toHaveBeenCalled();
  });

  it('throws a permanent failure on at once', async () => {
    class Permanent extends Error {}
    const onError = jest.fn();
    await expect(
      retryWithBackoff(
        async () => {
          throw new Permanent('refused for good');
        },
        { maxMs: 1000, running: () => true, wait, permanent: (error) => error instanceof Permanent, onError },
      ),
    ).rejects.toThrow('refused for good');
    expect(onError).not.toHaveBeenCalled();
    expect(waited).toEqual([]);
  });

  it('waits for the report before it waits to retry', async () => {
    const order: string[] = [];
    let calls = 0;
    await retryWithBackoff(
      async () => {
        if (++calls === 1) throw new Error('once');
      },
      {
        maxMs: 1000,
        running: () => true,
        wait: async (ms) => void order.push(`wait ${ms}`),
        onError: async () => {
          await Promise.resolve();
          order.push('reported');
        },
      },
    );
    expect(order).toEqual(['reported', 'wait 250']);
  });
});
