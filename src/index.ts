/** The public API of the `mxx` package: explicit named re-exports only. */
export { startServer, runServer, type RunningServer, type ServerOptions, type StartOptions } from './main.js';
export { createSupervisor, Supervisor, type SupervisorOptions } from './supervisor/index.js';
export { parseJobDocument, parseJobRequest } from './job/parse.js';
export { parseJobText, loadJobFile, jobFileInfo } from './job/load-file.js';
export { createSchedule, describeNext, type Schedule } from './job/schedule.js';
export type { JobDefinition, ScheduleSpec, JobPolicy, ValidationIssue } from './job/types.js';
export type { RegistryEntry, RunRecord, RunStatus } from './records.js';
export { MxxError, ERROR_CODES, isMxxError, type ErrorCode } from './errors.js';
export { resolvePaths, type MxxPaths } from './paths.js';
export { createLogger, type Logger, type LogLevel } from './logger.js';
export type * from './api/types.js';
