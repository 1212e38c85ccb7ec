import { describe, expect, it } from 'vitest';
import { lastValue, mergeSettings, parseConfigText, renderSettings, splitArguments } from '../../../datastores/redis/config-text.js';
import { ManagerError } from '../../../datastores/sdk/errors.js';

function refusal(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error instanceof ManagerError ? error.value : error;
  }
  return 'accepted';
}

describe('config text as redis-server reads it', () => {
  it('splits words and quoted values like sdssplitargs', () => {
    expect(splitArguments('save 900 1 300 10')).toEqual(['save', '900', '1', '300', '10']);
    expect(splitArguments('  save   ""  ')).toEqual(['save', '']);
    expect(splitArguments('notify-keyspace-events "K\\x45A"')).toEqual(['notify-keyspace-events', 'KEA']);
    expect(splitArguments("loglevel 'notice'")).toEqual(['loglevel', 'notice']);
    expect(splitArguments('save "900 1')).toBeUndefined();
    expect(splitArguments('save "900"1')).toBeUndefined();
  });

  it('parses settings through the allow-list, naming the field and the line of a refusal', () => {
    expect(parseConfigText('# comment\n\nMaxClients 50\nsave 900 1 300 10\nsave ""\n', 'config-contents')).toEqual([
      { key: 'maxclients', value: '50' },
      { key: 'save', value: '900 1 300 10' },
      { key: 'save', value: '' },
    ]);
    expect(refusal(() => parseConfigText('maxclients 5\ndir /etc', 'config-contents'))).toEqual({
      tag: 'invalid-argument',
      val: { field: 'config-contents', message: expect.stringMatching(/^line 2: "dir" is not a setting/) },
    });
    expect(refusal(() => parseConfigText('maxmemory-policy sometimes', 'config-contents'))).toMatchObject({
      val: { field: 'config-contents', message: expect.stringMatching(/^line 1: "maxmemory-policy" must be one of/) },
    });
    expect(refusal(() => parseConfigText('save "1 1', 'config-contents'))).toMatchObject({ val: { message: 'line 1: unbalanced quotes' } });
  });

  it('renders quoted values that read back as they were, and merges by key', () => {
    const settings = [
      { key: 'save', value: '900 1' },
      { key: 'notify-keyspace-events', value: 'KEA' },
    ];
    const text = renderSettings('header', settings);
    expect(text).toBe('# header\nsave "900 1"\nnotify-keyspace-events "KEA"\n');
    expect(parseConfigText(text, 'file')).toEqual(settings);
    const merged = mergeSettings(settings, [{ key: 'save', value: '' }, { key: 'hz', value: '20' }], false);
    expect(merged).toEqual([{ key: 'save', value: '' }, settings[1], { key: 'hz', value: '20' }]);
    expect(mergeSettings(merged, [{ key: 'save', value: '' }], true)).toEqual([settings[1], { key: 'hz', value: '20' }]);
    expect(lastValue([{ key: 'appendonly', value: 'no' }, { key: 'appendonly', value: 'yes' }], 'AppendOnly')).toBe('yes');
  });
});
