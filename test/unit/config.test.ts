import { describe, expect, it } from 'vitest';
import { resolveServerOptions, type ServerOptions } from '../../src/config.js';
import { MxxError } from '../../src/errors.js';

const LONG_TOKEN = '0123456789abcdef';
const env = { HOME: '/nonexistent-home' };

function resolve(options: ServerOptions, extraEnv: NodeJS.ProcessEnv = {}) {
  return resolveServerOptions(options, { ...env, ...extraEnv });
}

function refusal(options: ServerOptions, extraEnv: NodeJS.ProcessEnv = {}): MxxError {
  try {
    resolve(options, extraEnv);
  } catch (error) {
    expect(error).toBeInstanceOf(MxxError);
    return error as MxxError;
  }
  throw new Error(`resolveServerOptions accepted ${JSON.stringify(options)}`);
}

describe('resolveServerOptions: the token rule', () => {
  it.each(['localhost', 'LOCALHOST', 'localhost.', '127.0.0.1', '127.1', '::1', '[::1]', '::ffff:127.0.0.1', '0:0:0:0:0:0:0:1'])(
    'binds loopback spelling %s without a token',
    (host) => {
      expect(resolve({ host }).token).toBeUndefined();
    },
  );

  it.each(['0.0.0.0', '::', '192.168.1.5', 'evil.localhost', 'example.com', '::ffff:10.0.0.1'])(
    'refuses the non-loopback %s without a token',
    (host) => {
      expect(refusal({ host }).message).toMatch(/without an API token/);
    },
  );

  it.each([' ', '', '\t', '   '])('refuses the blank token %j on loopback too', (token) => {
    const error = refusal({ token });
    expect(error.message).toMatch(/--token is blank/);
    expect(refusal({ token, host: '0.0.0.0' }).message).toMatch(/--token is blank/);
  });

  it('treats an empty MXX_API_TOKEN as unset, and refuses a blank one naming the variable', () => {
    expect(resolve({}, { MXX_API_TOKEN: '' }).token).toBeUndefined();
    expect(refusal({}, { MXX_API_TOKEN: '  ' }).message).toMatch(/MXX_API_TOKEN is blank/);
  });

  it('refuses a token with surrounding whitespace, which an Authorization header cannot carry', () => {
    expect(refusal({ token: ` ${LONG_TOKEN}` }).message).toMatch(/--token .*whitespace/);
    expect(refusal({}, { MXX_API_TOKEN: `${LONG_TOKEN}\n` }).message).toMatch(/MXX_API_TOKEN .*whitespace/);
  });

  it('refuses a token shorter than 16 characters on a non-loopback bind, with a way to make one', () => {
    const error = refusal({ host: '0.0.0.0', token: 's3cret' });
    expect(error.message).toMatch(/--token is 6 characters; a server on 0\.0\.0\.0 needs at least 16/);
    expect(error.hint).toMatch(/openssl rand -hex 16/);
    expect(refusal({ host: '0.0.0.0' }, { MXX_API_TOKEN: 'short' }).message).toMatch(/MXX_API_TOKEN is 5 characters/);
    expect(resolve({ host: '0.0.0.0', token: LONG_TOKEN }).token).toBe(LONG_TOKEN);
    expect(resolve({ host: '127.0.0.1', token: 's3cret' }).token).toBe('s3cret');
  });

  it('prefers --token to MXX_API_TOKEN', () => {
    expect(resolve({ token: 'flag' }, { MXX_API_TOKEN: 'env' }).token).toBe('flag');
  });
});

describe('resolveServerOptions: the bind address', () => {
  it('binds an IPv6 literal given in brackets, and a loopback spelling without its trailing dot (no DNS lookup)', () => {
    expect(resolve({ host: '[::1]' }).host).toBe('::1');
    expect(resolve({ host: 'localhost.' }).host).toBe('localhost');
    expect(resolve({ host: '127.0.0.1.' }).host).toBe('127.0.0.1');
    expect(resolve({ host: 'server.example.com.', token: '0123456789abcdef' }).host).toBe('server.example.com.');
    expect(resolve({ host: 'LOCALHOST' }).host).toBe('LOCALHOST');
  });
});

describe('resolveServerOptions: allowed origins', () => {
  it('defaults to none', () => {
    expect(resolve({}).allowOrigins).toEqual([]);
  });

  it('keeps each --allow-origin as a serialised origin', () => {
    expect(resolve({ allowOrigins: ['http://LOCALHOST:3000/', 'https://ops.example.com', 'http://[::1]:8080'] }).allowOrigins).toEqual([
      'http://localhost:3000',
      'https://ops.example.com',
      'http://[::1]:8080',
    ]);
  });

  it('reads MXX_ALLOW_ORIGINS (comma-separated) when no --allow-origin is given', () => {
    const fromEnv = { MXX_ALLOW_ORIGINS: 'http://localhost:3000, https://ops.example.com ,' };
    expect(resolve({}, fromEnv).allowOrigins).toEqual(['http://localhost:3000', 'https://ops.example.com']);
    expect(resolve({ allowOrigins: ['http://a.example'] }, fromEnv).allowOrigins).toEqual(['http://a.example']);
  });

  it.each([
    ['localhost:3000'],
    ['*'],
    ['null'],
    ['http://'],
    ['http://localhost:3000/app'],
    ['http://localhost:3000?x=1'],
    ['http://localhost:3000#x'],
    ['http://user:pw@localhost:3000'],
    ['ftp://files.example.com'],
    ['file:///tmp/page.html'],
  ])('refuses %j, naming it and the expected form', (value) => {
    const error = refusal({ allowOrigins: [value] });
    expect(error.message).toContain(`--allow-origin ${JSON.stringify(value)}`);
    expect(error.message).toMatch(/http:\/\/host:port/);
    expect(refusal({}, { MXX_ALLOW_ORIGINS: `http://ok.example,${value}` }).message).toContain(`MXX_ALLOW_ORIGINS ${JSON.stringify(value)}`);
  });
});
