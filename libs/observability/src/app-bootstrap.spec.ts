import { afterEach, describe, expect, it, vi } from 'vitest';
import { createAppLogger } from './app-bootstrap';

describe(createAppLogger.name, () => {
  afterEach(() => vi.restoreAllMocks());

  function capture() {
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const written = (spy: typeof out) => spy.mock.calls.map((c) => String(c[0])).join('');
    return { stdout: () => written(out), stderr: () => written(err) };
  }

  it("writes a command-line tool's every level to stderr, leaving stdout to its result", () => {
    const streams = capture();
    const logger = createAppLogger(
      'train-base',
      { LOG_LEVEL: 'log', LOG_FORMAT: 'json' },
      { stream: 'stderr' },
    );
    logger.log({ msg: 'registered', version: 'v1' }, 'TrainBase');
    logger.warn('few frauds', 'TrainBase');
    logger.error('one class only', undefined, 'TrainBase');
    logger.debug('not at this level', 'TrainBase');
    expect(streams.stdout()).toBe('');
    const lines = streams
      .stderr()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l.level)).toEqual(['log', 'warn', 'error']);
    expect(lines[0]).toMatchObject({ context: 'TrainBase' });
  });

  it("keeps Nest's split for an app: its log lines on stdout, errors on stderr", () => {
    const streams = capture();
    const logger = createAppLogger('scorer', { LOG_LEVEL: 'log', LOG_FORMAT: 'json' });
    logger.log('consuming', 'Scorer');
    logger.error('broker gone', undefined, 'Scorer');
    expect(streams.stdout()).toContain('consuming');
    expect(streams.stdout()).not.toContain('broker gone');
    expect(streams.stderr()).toContain('broker gone');
  });
});
