// Smoke tests of the helpers bench code shares: no speed figures here, only that they answer right.
import { describe, expect, it } from 'vitest';
import { percentile, summarize } from '../../bench/support.js';
import { loadStatusPlugin } from '../../bench/extism/status-plugin.js';

describe('bench helpers', () => {
  it('summarizes samples by nearest rank', () => {
    const samples = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(samples, 50)).toBe(51);
    expect(percentile(samples, 99)).toBe(100);
    expect(summarize([1, 2, 3, 6])).toEqual({ p50: 3, p99: 6, mean: 3 });
  });

  it('assembles the Extism status plugin, which answers "running" through Extism output', async () => {
    const plugin = await loadStatusPlugin(false);
    try {
      expect((await plugin.call('status'))?.text()).toBe('running');
    } finally {
      await plugin.close();
    }
  });
});
