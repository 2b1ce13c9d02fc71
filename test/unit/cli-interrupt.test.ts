import { afterEach, describe, expect, it, vi } from 'vitest';
import { INTERRUPTED_EXIT_CODE, onInterrupt } from '../../src/cli/interrupt.js';

// process.emit() calls the listeners as a real signal would, without sending one.
const signal = (name: NodeJS.Signals) => process.emit(name as 'SIGINT');
const listeners = () => ({ SIGINT: process.listenerCount('SIGINT'), SIGTERM: process.listenerCount('SIGTERM') });

afterEach(() => vi.restoreAllMocks());

describe('onInterrupt', () => {
  it('aborts on the first Ctrl+C after onInterrupt, with Error("interrupted"), and release() restores the handlers', () => {
    const before = listeners();
    const order: string[] = [];
    const i = onInterrupt({ signals: ['SIGINT', 'SIGTERM'], again: 'ignore', onInterrupt: () => order.push(`told, aborted ${i.signal.aborted}`) });
    i.signal.addEventListener('abort', () => order.push('aborted'));
    expect(listeners()).toEqual({ SIGINT: before.SIGINT + 1, SIGTERM: before.SIGTERM + 1 });
    signal('SIGTERM');
    expect(order).toEqual(['told, aborted false', 'aborted']);
    expect((i.signal.reason as Error).message).toBe('interrupted');
    signal('SIGINT'); // 'ignore': nothing more happens
    expect(order).toHaveLength(2);
    i.release();
    i.release();
    expect(listeners()).toEqual(before);
  });

  it("'default' (the default): gone after the first signal, so the next one ends the process as Node would", () => {
    const before = listeners();
    const i = onInterrupt();
    expect(listeners().SIGINT).toBe(before.SIGINT + 1);
    expect(listeners().SIGTERM).toBe(before.SIGTERM);
    signal('SIGINT');
    expect(i.signal.aborted).toBe(true);
    expect(listeners()).toEqual(before);
    i.release();
  });

  it('a quit policy runs quit() and exits 130 on the second signal', () => {
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    const quit = vi.fn();
    const i = onInterrupt({ again: { quit } });
    signal('SIGINT');
    expect(quit).not.toHaveBeenCalled();
    expect(exit).not.toHaveBeenCalled();
    signal('SIGINT');
    expect(quit).toHaveBeenCalledOnce();
    expect(exit).toHaveBeenCalledWith(INTERRUPTED_EXIT_CODE);
    i.release();
  });

  it('abort() stops the work without onInterrupt (e.g. stdout closed)', () => {
    const told = vi.fn();
    const i = onInterrupt({ onInterrupt: told });
    i.abort();
    expect(i.signal.aborted).toBe(true);
    expect(told).not.toHaveBeenCalled();
    i.release();
  });
});
