/** The dashboard's pure parts: ANSI in logs, TOML out of a definition, where a job file broke. */
import { describe, expect, it } from 'vitest';
import { AnsiParser, type Segment } from '../../src/dashboard/ansi.js';
import { splitLocation } from '../../src/dashboard/location.js';
import { toToml } from '../../src/dashboard/toml.js';
import { parse as parseToml } from 'smol-toml';

const ESC = '\x1b';
const text = (segments: Segment[]): string => segments.map((s) => s.text).join('');

describe('ANSI in a run log', () => {
  it('turns SGR colours into styled segments and never shows an escape raw', () => {
    const out = new AnsiParser().push(`plain ${ESC}[1;31mbold red${ESC}[0m ${ESC}[38;5;208morange${ESC}[39m ${ESC}[38;2;1;2;3mrgb${ESC}[m end`);
    expect(text(out)).toBe('plain bold red orange rgb end');
    expect(out.find((s) => s.text === 'bold red')).toMatchObject({ classes: 'b fg-1' });
    expect(out.find((s) => s.text === 'orange')?.color).toMatch(/^rgb\(/);
    expect(out.find((s) => s.text === 'rgb')).toMatchObject({ color: 'rgb(1,2,3)' });
    expect(out.find((s) => s.text === ' end')).toMatchObject({ classes: '' });
  });

  it('drops other control sequences: cursor moves, OSC titles and links, lone carriage returns', () => {
    const out = new AnsiParser().push(`a${ESC}[2K${ESC}[1Ab${ESC}]0;title\x07c${ESC}]8;;http://x${ESC}\\link${ESC}]8;;${ESC}\\ 50%\r100%\r\nd\x07`);
    expect(text(out)).toBe('abclink 50%100%\r\nd');
    expect(text(out)).not.toContain(ESC);
  });

  it('keeps state and a cut escape across chunks', () => {
    const parser = new AnsiParser();
    const first = parser.push(`one ${ESC}[3`);
    const second = parser.push(`2mgreen${ESC}`);
    const third = parser.push(`[0m plain`);
    expect(text(first)).toBe('one ');
    expect(second).toEqual([{ text: 'green', classes: 'fg-2' }]);
    expect(third).toEqual([{ text: ' plain', classes: '' }]);
  });
});

describe('a definition as TOML', () => {
  it('writes sections as tables, nested objects inline, and reads back as the same document', () => {
    const doc = {
      lifetime: { lifetime: 60, grace: 5 },
      os: { cmd: 'echo "hi" \\ there\n', env: { NAME: 'x', 'with space': 'y' } },
      policy: { overlap: 'queue', group: 'nightly' },
      notify: { on: ['failed', 'timed_out'], enabled: true },
      schedule: { trigger: 'cron', hour: 10, minute: '*/5' },
    };
    const toml = toToml(doc);
    expect(toml).toContain('[lifetime]\nlifetime = 60\ngrace = 5');
    expect(toml).toContain('env = { NAME = "x", "with space" = "y" }');
    expect(parseToml(toml)).toEqual(doc);
  });
});

describe('where a job file failed to load', () => {
  it('splits file:line:column from the message, with the full path', () => {
    expect(splitLocation('/jobs/a.toml', 'a.toml:3:7: invalid value')).toEqual({ where: '/jobs/a.toml:3:7', message: 'invalid value' });
    expect(splitLocation('/jobs/a.toml', '/jobs/a.toml:12: bad')).toEqual({ where: '/jobs/a.toml:12', message: 'bad' });
    expect(splitLocation('/jobs/a.toml', 'a.toml: schedule.minuet is not a known key')).toEqual({ where: '/jobs/a.toml', message: 'schedule.minuet is not a known key' });
    expect(splitLocation('/jobs/a.toml', 'something else')).toEqual({ where: '/jobs/a.toml', message: 'something else' });
  });
});
