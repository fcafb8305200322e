/** resolveServerOptions → createSupervisor → load job files → listen. */
import { createMxxApp } from './api/app.js';
import type { EventRoutesOptions } from './api/events.js';
import { resolveServerOptions, type ServerOptions } from './config.js';
import { loadJobsFolder } from './job-files.js';
import { lockHome } from './home-lock.js';
import { listen, type Listener } from './listen.js';
import { createLogger, type Logger } from './logger.js';
import { createMetrics } from './metrics/index.js';
import { isLoopbackHost } from './net/loopback.js';
import { startNotifier, type NotifierOptions } from './notify/index.js';
import { attachServerLog } from './server-log.js';
import { openStore, type Store } from './store/index.js';
import { createSupervisor, type Supervisor } from './supervisor/index.js';
import { startWatcher, type JobsWatcher } from './watcher.js';
import { spawnerInUse } from '../workers/spawner-select.js';

export type { ServerOptions } from './config.js';

export interface StartOptions extends ServerOptions {
  logger?: Logger;
  /** Watch the jobs folder for changes. @default true */
  watch?: boolean;
  /** Events kept for replay by the event stream. @default 10 000 */
  eventBuffer?: number;
  /** The event stream's bounds and heartbeat. @default its defaults */
  eventStream?: Omit<EventRoutesOptions, 'logger'>;
  /** The notifier's timeouts and bounds (defaults for every job come from config.toml). @default its defaults */
  notifier?: Omit<NotifierOptions, 'logger' | 'serverUrl'>;
  /** What POST /shutdown does once it has answered (runServer: the same path as SIGTERM). @default close() */
  onStopRequest?: () => void;
}

export interface RunningServer {
  /** e.g. http://127.0.0.1:5000 (no trailing slash). */
  url: string;
  port: number;
  supervisor: Supervisor;
  close(): Promise<void>;
}

/**
 * Starts the server: claims the home, binds the port (a busy port fails before anything runs),
 * then starts the supervisor, loads the job files and watches the folder. Logs `listening on <url>`.
 */
export async function startServer(options: StartOptions = {}): Promise<RunningServer> {
  const resolved = resolveServerOptions(options);
  const logger = options.logger ?? createLogger({ level: resolved.logLevel, format: resolved.logFormat });
  const lock = lockHome(resolved.paths.server);
  let supervisor: Supervisor;
  let store: Store | undefined;
  try {
    // The PostgreSQL store connects and migrates here: an unusable database fails the start.
    store = await openStore(
      { store: resolved.store, source: resolved.sources.store === 'flag' ? '--store' : resolved.sources.store, paths: resolved.paths },
      logger,
    );
    supervisor = createSupervisor(
      {
        paths: resolved.paths,
        logger,
        maxConcurrency: resolved.maxConcurrency,
        labels: resolved.labels,
        advertisedUrl: () => ownUrl,
        ...(resolved.leaseMs === undefined ? {} : { leaseMs: resolved.leaseMs }),
        ...(options.eventBuffer === undefined ? {} : { eventBuffer: options.eventBuffer }),
        ...(resolved.threads === undefined ? {} : { pool: { threads: resolved.threads } }),
      },
      store,
    );
  } catch (error) {
    // A refused option must not leave the home locked (server.pid) or a connection open behind.
    await store?.close().catch(() => undefined);
    lock.release();
    throw error;
  }
  // The port is bound first (a busy port fails before anything runs), but requests are answered
  // 503 SERVER_STARTING until the registry and the jobs folder are loaded.
  let ready = false;
  let ownPort = resolved.port;
  let ownUrl = '';
  const detachLog = attachServerLog(supervisor.events, logger);
  const notifier = startNotifier(supervisor, {
    // config.toml's [notify]; defaults given to startServer itself win, as a flag over the file.
    ...(resolved.notifyDefaults === undefined ? {} : { defaults: resolved.notifyDefaults }),
    ...options.notifier,
    logger,
    serverUrl: () => ownUrl,
  });
  const metrics = createMetrics(supervisor, { notifications: notifier });
  // Set once started; before that the API answers 503 SERVER_STARTING, POST /shutdown included.
  let running: RunningServer | null = null;
  const { app, close: closeStreams } = createMxxApp(supervisor, {
    metrics,
    ui: resolved.ui,
    ...(options.eventStream === undefined ? {} : { eventStream: options.eventStream }),
    logger,
    isReady: () => ready,
    jobsFolder: () => watcher?.state(),
    debug: resolved.debug,
    logRequests: resolved.debug,
    loopbackOnly: isLoopbackHost(resolved.host),
    ownPort: () => ownPort,
    allowOrigins: resolved.allowOrigins,
    ...(resolved.token === undefined ? {} : { token: resolved.token }),
    requestStop: (client) => {
      logger.info(`shutdown requested through the API (from ${client ?? 'an unknown address'}): stopping runs and shutting down`);
      if (options.onStopRequest) options.onStopRequest();
      else void running?.close().catch((error: unknown) => logger.error('shutdown failed', { error: error instanceof Error ? error : String(error) }));
    },
  });
  let listener: Listener | null = null;
  let watcher: JobsWatcher | null = null;
  try {
    listener = await listen(app, resolved.host, resolved.port);
    ownPort = listener.port;
    ownUrl = listener.url;
    await supervisor.start();
    const load = await loadJobsFolder(supervisor, resolved.paths.jobs);
    logger.info(`jobs folder ${resolved.paths.jobs}: ${load.loaded} job file(s) loaded, ${load.failed.length} failed`);
    if (options.watch !== false) watcher = await startWatcher(supervisor, resolved.paths.jobs);
    ready = true;
  } catch (error) {
    await watcher?.close();
    await supervisor.close();
    await notifier.close();
    metrics.close();
    detachLog();
    closeStreams();
    await listener?.close();
    lock.release();
    throw error;
  }
  const { url, port } = listener;
  logger.info(`listening on ${url}`, {
    api: `${url}/api/scheduler`,
    home: resolved.paths.home,
    config: resolved.configFile ?? 'none',
    store: store.kind === 'postgres' ? (store.status().url ?? 'postgres') : 'files',
    spawner: spawnerInUse(),
    jobs: supervisor.jobCount,
    token: resolved.token ? 'required' : 'none',
  });
  let closing: Promise<void> | null = null;
  const openListener = listener;
  return (running = {
    url,
    port,
    supervisor,
    close: () =>
      (closing ??= (async () => {
        await watcher?.close();
        await supervisor.close();
        await notifier.close();
        metrics.close();
        detachLog();
        closeStreams();
        await openListener.close();
        lock.release();
        logger.info('server stopped');
      })()),
  });
}

/**
 * startServer plus SIGINT/SIGTERM handling, for the `server` command. Resolves when the server
 * has shut down. The handlers are installed before start-up, so a signal that arrives while
 * jobs are loading still shuts down gracefully (once the start has finished).
 */
export async function runServer(options: StartOptions = {}): Promise<void> {
  let signals = 0;
  let logger: Logger | null = null;
  let requested: (signal: NodeJS.Signals | 'api') => void = () => {};
  const stopRequested = new Promise<NodeJS.Signals | 'api'>((resolve) => (requested = resolve));
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++;
    if (signals > 1) {
      if (logger) logger.warn(`second ${signal}: exiting now`);
      else process.stderr.write(`second ${signal}: exiting now\n`);
      process.exit(130);
    }
    requested(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    // POST /shutdown takes the signal's path (startServer has logged it); it does not count as a first signal.
    const server = await startServer({ ...options, onStopRequest: () => requested('api') });
    const log = (logger = server.supervisor.logger);
    const signal = await stopRequested;
    if (signal !== 'api') log.info(`${signal} received: stopping runs and shutting down (send it again to force)`);
    try {
      await server.close();
    } catch (error) {
      log.error('shutdown failed', { error: error instanceof Error ? error : String(error) });
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    afterStopSignals();
  }
}

let lateSignalsHandled = false;

/**
 * Once the server has stopped, the process still takes a moment to exit (threads and handles
 * closing). A SIGTERM or SIGINT in that moment (a service manager that also signals, the user
 * pressing Ctrl-C again) would otherwise take Node's default action and turn a clean stop into a
 * death by signal; the stop is done, so it exits 0. Signal listeners do not keep the process alive.
 */
function afterStopSignals(): void {
  if (lateSignalsHandled) return;
  lateSignalsHandled = true;
  const exit = (): void => process.exit(0);
  process.on('SIGINT', exit);
  process.on('SIGTERM', exit);
}
