/**
 * Ctrl-C during `tessera train` (issue 12): the first stops after the step (a checkpoint is saved),
 * the second quits now. Two signals that arrive together (a step blocks the event loop, so Node
 * delivers both at once) must count as two: a one-shot handler lost the second.
 */
import { describe, expect, it } from 'vitest';
import { interruptible } from '../../cli/commands/train.js';

const capture = () => {
  let err = '';
  const io = { isTty: false, out: () => undefined, err: (t: string) => void (err += t) };
  return { io, err: () => err };
};

describe('Ctrl-C while training', () => {
  it('the first asks to stop after the step; the second quits now; release removes the handler', () => {
    const before = process.listenerCount('SIGINT');
    const { io, err } = capture();
    let quits = 0;
    const signal = interruptible(io, () => void (quits += 1));
    expect(process.listenerCount('SIGINT')).toBe(before + 1);
    expect(signal.stop()).toBe(false);
    process.emit('SIGINT');
    expect(signal.stop()).toBe(true);
    expect(quits).toBe(0);
    expect(err()).toContain('interrupted: finishing this step and saving a checkpoint');
    process.emit('SIGINT');
    expect(quits).toBe(1);
    expect(err()).toContain(
      'interrupted again: quitting now; a checkpoint being written is abandoned',
    );
    signal.release();
    expect(process.listenerCount('SIGINT')).toBe(before);
  });

  it('released before any signal: nothing is left listening', () => {
    const before = process.listenerCount('SIGINT');
    const signal = interruptible(capture().io, () => {
      throw new Error('must not quit');
    });
    signal.release();
    expect(process.listenerCount('SIGINT')).toBe(before);
    expect(signal.stop()).toBe(false);
  });
});
