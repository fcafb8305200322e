import { describe, expect, it } from 'vitest';
import * as mxx from '../../src/index.js';
import { ERROR_CODES } from '../../src/errors.js';

describe('package surface', () => {
  it('exports exactly these values', () => {
    expect(Object.keys(mxx).sort()).toMatchInlineSnapshot(`
      [
        "ERROR_CODES",
        "MxxError",
        "Supervisor",
        "createLogger",
        "createSchedule",
        "createSupervisor",
        "describeNext",
        "isMxxError",
        "jobFileInfo",
        "loadJobFile",
        "parseJobDocument",
        "parseJobRequest",
        "parseJobText",
        "resolvePaths",
        "runServer",
        "startServer",
      ]
    `);
  });

  it('keeps the error table stable (codes → HTTP status, CLI exit code)', () => {
    expect(ERROR_CODES).toMatchInlineSnapshot(`
      {
        "BODY_TOO_LARGE": {
          "exit": 1,
          "status": 413,
        },
        "CONFIG_INVALID": {
          "exit": 2,
          "status": 400,
        },
        "FORBIDDEN_ORIGIN": {
          "exit": 1,
          "status": 403,
        },
        "INTERNAL": {
          "exit": 1,
          "status": 500,
        },
        "INVALID_JOB": {
          "exit": 1,
          "status": 400,
        },
        "INVALID_REQUEST": {
          "exit": 1,
          "status": 400,
        },
        "JOB_BUSY": {
          "exit": 1,
          "status": 409,
        },
        "JOB_EXISTS": {
          "exit": 1,
          "status": 409,
        },
        "JOB_FROM_FILE": {
          "exit": 1,
          "status": 409,
        },
        "JOB_NOT_FOUND": {
          "exit": 1,
          "status": 404,
        },
        "LOG_NOT_FOUND": {
          "exit": 1,
          "status": 404,
        },
        "NOT_FOUND": {
          "exit": 1,
          "status": 404,
        },
        "PLACEMENT_MISMATCH": {
          "exit": 1,
          "status": 409,
        },
        "RUN_NOT_FOUND": {
          "exit": 1,
          "status": 404,
        },
        "SERVER_STARTING": {
          "exit": 1,
          "status": 503,
        },
        "SERVER_UNREACHABLE": {
          "exit": 3,
          "status": 503,
        },
        "STORAGE_UNAVAILABLE": {
          "exit": 1,
          "status": 503,
        },
        "TOO_MANY_SUBSCRIBERS": {
          "exit": 1,
          "status": 503,
        },
        "UNAUTHORIZED": {
          "exit": 1,
          "status": 401,
        },
        "UNSUPPORTED_MEDIA_TYPE": {
          "exit": 1,
          "status": 415,
        },
      }
    `);
  });
});
