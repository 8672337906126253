import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomMlpSpec, writeModelFixture } from '@fraudstream/model';
import type { ModelCompression } from '@fraudstream/registry';
import { describe, expect, it } from 'vitest';
import { CaseBook } from './case-book';
import type { Principal } from './console-auth.service';
import { parseRequest, verdictSchema } from './console-requests.schemas';
import { InvalidRequestError } from './console.errors';
import { html } from './html';
import { renderModelsPage } from './models-page.view';
import { renderQueuePage } from './queue-page.view';
import { barChartSvg, lineChartSvg } from './svg-charts';
import { T0, testAlert } from './console-test.fixtures';

const viewer: Principal = {
  user: 'vic',
  roles: ['viewer'],
  session: { user: 'vic', sid: 's', expiresAt: 0 },
  csrfToken: 'tok',
};

describe('console views', () => {
  it('escapes whatever comes from the topics', () => {
    const book = new CaseBook();
    book.applyAlerts([
      testAlert('<script>alert(1)</script>', { note: '"><img src=x onerror=alert(1)>', kind: 'INVESTIGATE' }),
    ]);
    const page = renderQueuePage(
      viewer,
      {},
      { investigations: book.queue({ kind: 'INVESTIGATE' }, T0), scores: book.queue({ kind: 'SCORE' }, T0) },
      '/api/alerts/stream',
    );
    expect(page).not.toContain('<script>alert');
    expect(page).not.toContain('<img src=x');
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html`<b>${'a&b'}</b>${['<i>', html`<i>ok</i>`]}`.value).toBe('<b>a&amp;b</b>&lt;i&gt;<i>ok</i>');
  });

  it('draws a line per run of values (a null breaks it) and stacked bars scaled to a round axis', () => {
    const line = lineChartSvg({
      width: 300,
      height: 200,
      title: 'AP',
      xLabels: ['a', 'b', 'c', 'd'],
      series: [{ name: 'ap', color: '#000', values: [0.5, 0.6, null, 0.7] }],
    }).value;
    expect(line.match(/<polyline/g)).toHaveLength(1);
    expect(line.match(/<circle/g)).toHaveLength(3);
    const bars = barChartSvg({
      width: 300,
      height: 200,
      title: 'alerts',
      xLabels: ['a', 'b'],
      stacks: [
        { name: 's', color: '#f00', values: [30, 0] },
        { name: 'i', color: '#00f', values: [10, 5] },
      ],
    }).value;
    expect(bars.match(/<rect [^>]*fill="#(f00|00f)"/g)).toHaveLength(3);
    // 40 at most: the axis runs to 50.
    expect(bars).toContain('>50</text>');
  });

  it('explains a bad request body field by field', () => {
    expect(() =>
      parseRequest(verdictSchema, { verdict: 'FRAUD', comment: 'x'.repeat(2001) }, 'verdict'),
    ).toThrow('invalid verdict: comment is longer than 2000 characters');
    expect(() => parseRequest(verdictSchema, { verdict: 'MAYBE' }, 'verdict')).toThrow(InvalidRequestError);
    expect(() => parseRequest(verdictSchema, { verdict: 'FRAUD', admin: true }, 'verdict')).toThrow(
      'verdict has unknown fields: admin',
    );
    expect(() => parseRequest(verdictSchema, 'FRAUD', 'verdict')).toThrow(/invalid verdict/);
    expect(parseRequest(verdictSchema, { verdict: 'LEGITIMATE' }, 'verdict')).toEqual({
      verdict: 'LEGITIMATE',
      comment: '',
    });
  });

  it("shows an int8 variant's compression under its parent on the models page", () => {
    const dir = mkdtempSync(join(tmpdir(), 'console-models-'));
    try {
      const { manifest } = writeModelFixture(dir, {
        version: 'v2',
        featureNames: ['a', 'b'],
        spec: randomMlpSpec(2, [4], 1),
        signer: null,
      });
      const compression: ModelCompression = {
        kind: 'int8-weights',
        parent_version: 'v1',
        parent_sha256: 'ab'.repeat(32),
        granularity: 'per-channel',
        bits: 8,
        bytes: 2994,
        parent_bytes: 5629,
        rows: 400,
        positives: 20,
        parent_average_precision: 0.8,
        average_precision: 0.7988,
        ap_loss: 0.0012,
        max_ap_loss: 0.005,
        max_abs_score_difference: 0.004,
        passed: true,
        reason: 'passed',
      };
      const page = renderModelsPage(
        viewer,
        {
          models: [
            {
              version: 'v2',
              stage: 'CANDIDATE',
              manifest: { ...manifest, parent_version: 'v1', compression },
              audit: [],
              promotionRequest: null,
            },
          ],
          production: null,
          rollbackTarget: null,
        },
        false,
      );
      expect(page).toContain('int8-weights of it, AP loss 0.0012');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
