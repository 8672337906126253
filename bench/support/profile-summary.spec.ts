import { describe, expect, it } from 'vitest';
import { foldedStacks, summariseProfile } from './profile-summary';

/** root -> main -> { decode (3 samples), encode (1) }, plus idle (2) and the profiler stopping (2). */
const profile = {
  nodes: [
    { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: -1 }, children: [2, 5, 6] },
    {
      id: 2,
      callFrame: { functionName: 'main', url: 'file:///x/dist/apps/scorer/src/main.js', lineNumber: 0 },
      children: [3, 4],
    },
    {
      id: 3,
      callFrame: { functionName: 'decode', url: 'file:///x/node_modules/avsc/lib/types.js', lineNumber: 9 },
    },
    {
      id: 4,
      callFrame: {
        functionName: 'encode',
        url: 'file:///x/node_modules/kafkajs/src/encoder.js',
        lineNumber: 19,
      },
    },
    { id: 5, callFrame: { functionName: '(idle)', url: '', lineNumber: -1 } },
    { id: 6, callFrame: { functionName: 'post', url: 'node:inspector', lineNumber: 114 } },
  ],
  samples: [3, 3, 5, 4, 3, 5, 6, 6],
  timeDeltas: [100, 100, 100, 100, 100, 100, 100, 100],
  startTime: 0,
  endTime: 800,
};

describe(summariseProfile.name, () => {
  it('shares self time among the busy samples, idle and the profiler left out', () => {
    const summary = summariseProfile(profile);
    expect(summary.totalMs).toBe(0.8);
    expect(summary.busyMs).toBe(0.4);
    expect(summary.byArea).toEqual([
      { area: 'avsc', ms: 0.3, share: 0.75 },
      { area: 'kafkajs', ms: 0.1, share: 0.25 },
    ]);
    expect(summary.topFrames[0]).toEqual({
      frame: 'decode lib/types.js:10',
      area: 'avsc',
      ms: 0.3,
      share: 0.75,
    });
  });
});

describe(foldedStacks.name, () => {
  it('writes one line per stack, root first, with its sample count', () => {
    expect(foldedStacks(profile).trim().split('\n').sort()).toEqual([
      'main src/main.js:1;decode lib/types.js:10 3',
      'main src/main.js:1;encode src/encoder.js:20 1',
    ]);
  });
});
