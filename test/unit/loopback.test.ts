import { describe, expect, it } from 'vitest';
import { isLoopbackHost } from '../../src/net/loopback.js';

/** Every spelling of a loopback address the issue (#10, item 5) lists, plus the forms `net` and WHATWG URL accept. */
export const LOOPBACK_SPELLINGS = [
  'localhost',
  'LOCALHOST',
  'localhost.',
  'LocalHost.',
  '127.0.0.1',
  '127.1',
  '127.0.0.1.',
  '127.255.255.254',
  '0x7f.1',
  '2130706433',
  '::1',
  '[::1]',
  '::ffff:127.0.0.1',
  '[::ffff:127.0.0.1]',
  '::ffff:7f00:1',
  '::FFFF:7F00:1',
  '0:0:0:0:0:0:0:1',
  '[0:0:0:0:0:0:0:1]',
  '0000:0000:0000:0000:0000:0000:0000:0001',
];

describe('isLoopbackHost', () => {
  it.each(LOOPBACK_SPELLINGS)('%s is loopback', (name) => {
    expect(isLoopbackHost(name)).toBe(true);
  });

  it.each([
    // *.localhost names are not trusted (issue #10, item 6): a page at evil.localhost is not ours.
    'evil.localhost',
    'rebind.evil.com',
    'localhost.evil.com',
    'localhostx',
    'localhost..',
    '0.0.0.0',
    '::',
    '128.0.0.1',
    '126.255.255.255',
    '10.0.0.1',
    '::2',
    '::ffff:10.0.0.1',
    '::ffff:800:1',
    '::127.0.0.1',
    '[::1',
    '::1]',
    '[[::1]]',
    '',
    ' ',
    '127.0.0.1 ',
    ' localhost',
    // Whatever a URL parser would read as the host of these, the string itself is not a host name.
    'evil.com@127.0.0.1',
    '127.0.0.1@evil.com',
    '127.0.0.1/evil',
    '127.0.0.1:80',
    'localhost:80',
    '%31%32%37.0.0.1',
    '１２７.0.0.1',
    '127.0.0.1.5',
  ])('%j is not loopback', (name) => {
    expect(isLoopbackHost(name)).toBe(false);
  });
});
