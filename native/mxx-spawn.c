/*
 * mxx-spawn: the compiled spawn helper a worker thread hands its runs to (workers/native-spawner.ts
 * is the other end; native/PROTOCOL.md describes the wire). It posix_spawns each command in a
 * session of its own at the requested instant, copies its stdout/stderr to the run's capped log
 * file (the same cap and truncation note as workers/log-sink.ts) and to a tail, and reports
 * started (pid, start time), exit (code or signal) and a summary. Lifetime, stops, `kill` names and
 * the end-of-run sweep stay in the worker thread, which signals the run's group itself.
 *
 * When stdin closes (the thread ended, or the server died, even by SIGKILL), every started run's
 * group gets SIGTERM, SIGKILL after the run's grace, its strays (processes still carrying its
 * MXX_RUN_ID, Linux /proc) are killed, the logs are closed and the helper exits: as the Node
 * spawner does, a dead server leaves no orphans.
 *
 * C99 + POSIX (+ glibc's posix_spawn setsid/chdir extensions), no dependencies.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define OUTPUT_EVENT_INTERVAL_MS 50
#define CLOSE_WAIT_MS 2000
#define AFTER_KILL_WAIT_MS 1000
#define POLL_MS 20
#define MAX_FIELDS 65536
#define MAX_MESSAGE (64 * 1024 * 1024)

enum state { WAITING, RUNNING, EXITED, DONE };

struct run {
  struct run *next;
  long id;
  enum state state;
  int64_t not_before;      /* epoch ms, or -1 */
  int64_t clock_offset;    /* our wall clock minus the thread's, when they differ (a faked or stepped clock) */
  double start_deadline;   /* monotonic ms: never wait past the delay measured on arrival */
  char *cwd, *log_path, *marker;
  int64_t cap;             /* -1 = no cap */
  int64_t tail_bytes;
  int64_t grace_ms;
  int shell;
  char **argv;
  char **envp;
  pid_t pid;
  int out_fd, err_fd, log_fd;
  int64_t log_bytes, output_bytes, announced;
  unsigned char last_byte;
  unsigned char *tail;     /* ring of tail_bytes */
  int64_t tail_len, tail_pos;
  char log_error[256];
  int note_owed;
  double announce_at;      /* monotonic ms, 0 = none pending */
  double close_deadline;   /* after `done`: give up on the pipes then */
  double kill_at;          /* shutdown: SIGKILL then */
  double give_up_at;
  int killed;
  int reaped;
};

static struct run *runs = NULL;
static int shutting_down = 0;
static int sigchld_pipe[2];
static char *inbuf = NULL;
static size_t inlen = 0, incap = 0;

static double mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

static int64_t wall_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static double wall_ms_exact(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

/* Replies go out whole or not at all: the thread reads lines. A gone thread (EPIPE) is stdin's EOF. */
static void reply(const char *data, size_t len) {
  while (len > 0) {
    ssize_t n = write(STDOUT_FILENO, data, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) {
        struct pollfd p = {STDOUT_FILENO, POLLOUT, 0};
        poll(&p, 1, 100);
        continue;
      }
      shutting_down = 1;
      return;
    }
    data += n;
    len -= (size_t)n;
  }
}

static void replyf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void replyf(const char *fmt, ...) {
  char line[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  if (n > 0) reply(line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

static const char *errno_name(int e) {
  switch (e) {
    case ENOENT: return "ENOENT";
    case EACCES: return "EACCES";
    case ENOTDIR: return "ENOTDIR";
    case ENOEXEC: return "ENOEXEC";
    case EPERM: return "EPERM";
    case ENOSPC: return "ENOSPC";
    case EROFS: return "EROFS";
    case EIO: return "EIO";
    case EISDIR: return "EISDIR";
    case EMFILE: return "EMFILE";
    case ENOMEM: return "ENOMEM";
    case EAGAIN: return "EAGAIN";
    case E2BIG: return "E2BIG";
    case EDQUOT: return "EDQUOT";
    default: return "EUNKNOWN";
  }
}

/* "ENOSPC: no space left on device, write", as Node words a failed write. */
static void describe_errno(char *out, size_t size, int e, const char *syscall) {
  char text[160];
  snprintf(text, sizeof text, "%s", strerror(e));
  if (text[0] != '\0') text[0] = (char)tolower((unsigned char)text[0]);
  snprintf(out, size, "%s: %s, %s", errno_name(e), text, syscall);
}

static void on_sigchld(int sig) {
  (void)sig;
  int saved = errno;
  ssize_t ignored = write(sigchld_pipe[1], "c", 1);
  (void)ignored;
  errno = saved;
}

static void on_sigterm(int sig) {
  (void)sig;
  shutting_down = 1;
  on_sigchld(0); /* wake the loop */
}

static struct run *find_run(long id) {
  for (struct run *r = runs; r != NULL; r = r->next)
    if (r->id == id) return r;
  return NULL;
}

static void free_run(struct run *r) {
  struct run **p = &runs;
  while (*p != NULL && *p != r) p = &(*p)->next;
  if (*p == r) *p = r->next;
  free(r->cwd);
  free(r->log_path);
  free(r->marker);
  for (char **a = r->argv; a != NULL && *a != NULL; a++) free(*a);
  free(r->argv);
  for (char **e = r->envp; e != NULL && *e != NULL; e++) free(*e);
  free(r->envp);
  free(r->tail);
  free(r);
}

/* ---- log sink: the same cap, notes and tail as workers/log-sink.ts ---- */

static void write_failure_note(struct run *r) {
  if (r->log_fd < 0) {
    r->log_fd = open(r->log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (r->log_fd < 0) return;
  }
  char note[512];
  int n = snprintf(note, sizeof note, "%s[mxx: log write failed: %s; output after this point is only in the run record's tail]\n",
                   r->log_bytes > 0 && r->last_byte != '\n' ? "\n" : "", r->log_error);
  if (n > 0 && write(r->log_fd, note, (size_t)n) == n) {
    r->note_owed = 0;
    r->log_bytes += n;
  }
}

static void keep_tail(struct run *r, const unsigned char *data, size_t len) {
  if (r->tail_bytes <= 0) return;
  if ((int64_t)len >= r->tail_bytes) {
    memcpy(r->tail, data + len - (size_t)r->tail_bytes, (size_t)r->tail_bytes);
    r->tail_pos = 0;
    r->tail_len = r->tail_bytes;
    return;
  }
  for (size_t i = 0; i < len; i++) {
    r->tail[r->tail_pos] = data[i];
    r->tail_pos = (r->tail_pos + 1) % r->tail_bytes;
  }
  r->tail_len = r->tail_len + (int64_t)len > r->tail_bytes ? r->tail_bytes : r->tail_len + (int64_t)len;
}

static void sink_write(struct run *r, const unsigned char *data, size_t len) {
  r->output_bytes += (int64_t)len;
  keep_tail(r, data, len);
  if (r->log_error[0] != '\0') return;
  int64_t room = r->cap < 0 ? (int64_t)len : r->cap - r->log_bytes;
  if (room <= 0) return;
  size_t part = (int64_t)len <= room ? len : (size_t)room;
  size_t done = 0;
  while (done < part) {
    ssize_t n = write(r->log_fd, data + done, part - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      describe_errno(r->log_error, sizeof r->log_error, errno, "write");
      r->log_bytes += (int64_t)done;
      if (done > 0) r->last_byte = data[done - 1];
      r->note_owed = 1;
      write_failure_note(r);
      return;
    }
    done += (size_t)n;
  }
  r->log_bytes += (int64_t)part;
  r->last_byte = data[part - 1];
}

static void drain_fd(struct run *r, int *fd) {
  unsigned char buf[65536];
  for (;;) {
    ssize_t n = read(*fd, buf, sizeof buf);
    if (n > 0) {
      sink_write(r, buf, (size_t)n);
      if (r->announce_at == 0) r->announce_at = mono_ms() + OUTPUT_EVENT_INTERVAL_MS;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    close(*fd); /* end of file, or an error we cannot read past */
    *fd = -1;
    return;
  }
}

static void announce(struct run *r) {
  r->announce_at = 0;
  if (r->log_bytes == r->announced) return;
  r->announced = r->log_bytes;
  replyf("O %ld %lld\n", r->id, (long long)r->log_bytes);
}

/* The run is over: the note, the file closed, the summary (X line, then its error and tail bytes). */
static void finish(struct run *r) {
  if (r->out_fd >= 0) close(r->out_fd);
  if (r->err_fd >= 0) close(r->err_fd);
  r->out_fd = r->err_fd = -1;
  int truncated = r->output_bytes > r->log_bytes;
  if (truncated && r->log_error[0] == '\0') {
    char note[128];
    int n = snprintf(note, sizeof note, "%s[mxx] output truncated after %lld bytes\n", r->last_byte == '\n' ? "" : "\n", (long long)r->log_bytes);
    r->log_bytes += n;
    if (write(r->log_fd, note, (size_t)n) != n) { /* as the Node sink: the note is best effort */ }
  }
  if (r->note_owed) write_failure_note(r);
  if (r->log_fd >= 0) close(r->log_fd);
  r->log_fd = -1;
  announce(r);
  size_t error_len = strlen(r->log_error);
  replyf("X %ld %lld %d %zu %lld\n", r->id, (long long)r->output_bytes, truncated || error_len > 0, error_len, (long long)r->tail_len);
  reply(r->log_error, error_len);
  if (r->tail_len > 0) {
    int64_t start = r->tail_len < r->tail_bytes ? 0 : r->tail_pos;
    int64_t first = r->tail_len < r->tail_bytes ? r->tail_len : r->tail_bytes - start;
    reply((const char *)r->tail + start, (size_t)first);
    if (first < r->tail_len) reply((const char *)r->tail, (size_t)(r->tail_len - first));
  }
  free_run(r);
}

/* ---- spawning ---- */

static char **merged_env(char **extra, size_t count) {
  size_t base = 0;
  while (environ[base] != NULL) base++;
  char **env = calloc(base + count + 1, sizeof *env);
  if (env == NULL) return NULL;
  size_t n = 0;
  for (size_t i = 0; i < base; i++) {
    const char *eq = strchr(environ[i], '=');
    size_t key = eq == NULL ? strlen(environ[i]) : (size_t)(eq - environ[i]);
    int overridden = 0;
    for (size_t j = 0; j < count && !overridden; j++) overridden = strncmp(extra[j], environ[i], key) == 0 && extra[j][key] == '=';
    if (!overridden) env[n++] = strdup(environ[i]);
  }
  for (size_t j = 0; j < count; j++) env[n++] = extra[j];
  env[n] = NULL;
  return env;
}

/* As execvp, but along the PATH of the run's environment (as Node's spawn does), not ours. */
static char *resolve_program(struct run *r) {
  const char *name = r->argv[0];
  if (strchr(name, '/') != NULL) return strdup(name);
  const char *path = NULL;
  for (char **e = r->envp; e != NULL && *e != NULL; e++)
    if (strncmp(*e, "PATH=", 5) == 0) path = *e + 5;
  if (path == NULL) path = "/usr/local/bin:/usr/bin:/bin";
  char *first = NULL;
  while (*path != '\0') {
    const char *colon = strchr(path, ':');
    size_t len = colon == NULL ? strlen(path) : (size_t)(colon - path);
    char *candidate = malloc(len + strlen(name) + 3);
    snprintf(candidate, len + strlen(name) + 3, "%.*s/%s", (int)len, len == 0 ? "." : path, name);
    if (len == 0) memcpy(candidate, "./", 2), strcpy(candidate + 2, name);
    if (access(candidate, X_OK) == 0) {
      free(first);
      return candidate;
    }
    if (first == NULL && access(candidate, F_OK) == 0) first = candidate; /* exists: its error (EACCES) is the one to report */
    else free(candidate);
    if (colon == NULL) break;
    path = colon + 1;
  }
  return first != NULL ? first : strdup(name);
}

/* Spawns the run's command; 0 when it could not be (the run is reported and freed). */
static int start(struct run *r) {
  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0) goto fail_errno;
  if (pipe2(err, O_CLOEXEC) != 0) {
    close(out[0]);
    close(out[1]);
    goto fail_errno;
  }
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err[1], STDERR_FILENO);
  if (r->cwd[0] != '\0') posix_spawn_file_actions_addchdir_np(&actions, r->cwd);
  posix_spawnattr_init(&attr);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all); /* our ignored SIGINT/SIGHUP/SIGPIPE are not the job's */
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid;
  char *program = r->shell ? strdup(r->argv[0]) : resolve_program(r);
  int rc = strchr(program, '/') != NULL ? posix_spawn(&pid, program, &actions, &attr, r->argv, r->envp) : ENOENT;
  free(program);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  close(out[1]);
  close(err[1]);
  if (rc != 0) {
    close(out[0]);
    close(err[0]);
    errno = rc;
    goto fail_errno;
  }
  int64_t started_at = wall_ms() - r->clock_offset; /* on the thread's clock, as Date.now() there */
  r->pid = pid;
  r->state = RUNNING;
  r->out_fd = out[0];
  r->err_fd = err[0];
  fcntl(r->out_fd, F_SETFL, O_NONBLOCK);
  fcntl(r->err_fd, F_SETFL, O_NONBLOCK);
  replyf("S %ld %d %lld\n", r->id, (int)pid, (long long)started_at);
  r->log_fd = open(r->log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (r->log_fd < 0) {
    describe_errno(r->log_error, sizeof r->log_error, errno, "open");
    r->note_owed = 1;
  }
  return 1;
fail_errno:
  replyf("F %ld %s %d\n", r->id, errno_name(errno), errno);
  free_run(r);
  return 0;
}

/* ---- requests: NUL-terminated fields, counted (native/PROTOCOL.md) ---- */

/* The next field at *pos, or NULL when the message is not all here yet. */
static char *field(size_t *pos) {
  char *start = inbuf + *pos;
  char *end = memchr(start, '\0', inlen - *pos);
  if (end == NULL) return NULL;
  *pos += (size_t)(end - start) + 1;
  return start;
}

static int parse_int(const char *s, int64_t *out) {
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (errno != 0 || end == s || *end != '\0') return 0;
  *out = v;
  return 1;
}

static void protocol_error(const char *what) {
  fprintf(stderr, "mxx-spawn: bad request from the thread (%s); stopping\n", what);
  shutting_down = 1;
}

/* One message from inbuf at *pos: 1 taken, 0 incomplete, -1 malformed. */
static int take_message(size_t *pos) {
  size_t p = *pos;
  char *type = field(&p);
  if (type == NULL) return 0;
  char *id_text = field(&p);
  if (id_text == NULL) return 0;
  int64_t id;
  if (!parse_int(id_text, &id)) return -1;
  if (strcmp(type, "stop") == 0 || strcmp(type, "done") == 0) {
    *pos = p;
    struct run *r = find_run((long)id);
    if (r == NULL) return 1;
    if (type[0] == 's' && r->state == WAITING) {
      replyf("N %ld\n", r->id);
      free_run(r);
    } else if (type[0] == 'd' && (r->state == EXITED || r->state == RUNNING)) {
      r->state = DONE;
      r->close_deadline = mono_ms() + CLOSE_WAIT_MS;
    }
    return 1;
  }
  if (strcmp(type, "run") != 0) return -1;
  char *f[10];
  for (int i = 0; i < 10; i++)
    if ((f[i] = field(&p)) == NULL) return 0;
  /* not_before sent_at cwd log_path cap tail grace marker shell argc */
  int64_t not_before, sent_at, cap, tail, grace, shell, argc, envc;
  if (!parse_int(f[0], &not_before) || !parse_int(f[1], &sent_at) || !parse_int(f[4], &cap) || !parse_int(f[5], &tail) ||
      !parse_int(f[6], &grace) || !parse_int(f[8], &shell) || !parse_int(f[9], &argc) || argc < 1 || argc > MAX_FIELDS || tail < 0)
    return -1;
  char **args = calloc((size_t)argc + 1, sizeof *args);
  for (int64_t i = 0; i < argc; i++)
    if ((args[i] = field(&p)) == NULL) return free(args), 0;
  char *envc_text = field(&p);
  if (envc_text == NULL) return free(args), 0;
  if (!parse_int(envc_text, &envc) || envc < 0 || envc > MAX_FIELDS) return free(args), -1;
  char **env = calloc((size_t)envc + 1, sizeof *env);
  for (int64_t i = 0; i < envc; i++)
    if ((env[i] = field(&p)) == NULL) return free(args), free(env), 0;
  *pos = p;

  struct run *r = calloc(1, sizeof *r);
  r->id = (long)id;
  /* The thread's clock and ours are the same wall clock (the difference is the message's transit),
     unless one is faked or stepped: then the instant is moved by the difference. */
  int64_t offset = wall_ms() - sent_at;
  r->clock_offset = offset > 1000 || offset < -1000 ? offset : 0;
  r->not_before = not_before < 0 ? -1 : not_before + r->clock_offset;
  r->cwd = strdup(f[2]);
  r->log_path = strdup(f[3]);
  r->cap = cap;
  r->tail_bytes = tail;
  r->tail = tail > 0 ? malloc((size_t)tail) : NULL;
  r->grace_ms = grace;
  r->marker = strdup(f[7]);
  r->shell = shell != 0;
  r->argv = calloc((size_t)argc + 1, sizeof *r->argv);
  for (int64_t i = 0; i < argc; i++) r->argv[i] = strdup(args[i]);
  for (int64_t i = 0; i < envc; i++) env[i] = strdup(env[i]);
  r->envp = merged_env(env, (size_t)envc);
  free(args);
  free(env);
  r->out_fd = r->err_fd = r->log_fd = -1;
  r->last_byte = '\n';
  r->state = WAITING;
  int64_t wait = r->not_before < 0 ? 0 : r->not_before - wall_ms();
  r->start_deadline = mono_ms() + (wait > 0 ? (double)wait : 0);
  r->next = runs;
  runs = r;
  if (shutting_down) free_run(r);
  return 1;
}

static void read_requests(void) {
  for (;;) {
    if (incap - inlen < 65536) {
      incap = incap == 0 ? 131072 : incap * 2;
      if (incap > MAX_MESSAGE) return protocol_error("a message past 64 MB");
      inbuf = realloc(inbuf, incap);
    }
    ssize_t n = read(STDIN_FILENO, inbuf + inlen, incap - inlen);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) break;
    if (n <= 0) {
      shutting_down = 1;
      break;
    }
    inlen += (size_t)n;
  }
  size_t pos = 0;
  for (;;) {
    int taken = take_message(&pos);
    if (taken < 0) return protocol_error("malformed message");
    if (taken == 0) break;
  }
  memmove(inbuf, inbuf + pos, inlen - pos);
  inlen -= pos;
}

static void reap(void) {
  int status;
  pid_t pid;
  while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
    for (struct run *r = runs; r != NULL; r = r->next) {
      if (r->pid != pid || r->state == WAITING || r->reaped) continue;
      r->reaped = 1;
      if (r->state == RUNNING) r->state = EXITED;
      if (WIFEXITED(status)) replyf("E %ld %d 0\n", r->id, WEXITSTATUS(status));
      else replyf("E %ld -1 %d\n", r->id, WTERMSIG(status));
      break;
    }
  }
}

/* ---- shutdown: end every started run's group, sweep its strays, close its log ---- */

static int group_alive(pid_t pgid) { return kill(-pgid, 0) == 0 || errno == EPERM; }

/* Linux: SIGKILL the processes whose environment holds MXX_RUN_ID=<marker>; how many were found
 * (with those caught mid-exec, which may turn out to be the run's). */
static int sweep(const char *marker) {
  if (marker[0] == '\0') return 0;
  char wanted[512];
  int wanted_len = snprintf(wanted, sizeof wanted, "MXX_RUN_ID=%s", marker);
  DIR *proc = opendir("/proc");
  if (proc == NULL) return 0;
  int found = 0;
  struct dirent *entry;
  static char environ_buf[1 << 17];
  while ((entry = readdir(proc)) != NULL) {
    char *end;
    long pid = strtol(entry->d_name, &end, 10);
    if (*end != '\0' || pid <= 1 || pid == getpid()) continue;
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/environ", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    ssize_t n = read(fd, environ_buf, sizeof environ_buf - 1);
    close(fd);
    /* Empty but readable: a live process between two programs (an exec in progress) unless its
     * command line is there (then it was started with no environment). Counted, so the caller
     * looks again: a daemon caught mid-exec must not be passed over (run-sweep.ts does the same). */
    if (n == 0) {
      snprintf(path, sizeof path, "/proc/%ld/cmdline", pid);
      int cmd_fd = open(path, O_RDONLY | O_CLOEXEC);
      char first;
      if (cmd_fd >= 0 && read(cmd_fd, &first, 1) == 0) found++;
      if (cmd_fd >= 0) close(cmd_fd);
      continue;
    }
    for (ssize_t at = 0; n > 0 && at < n; at += (ssize_t)strlen(environ_buf + at) + 1) {
      environ_buf[n] = '\0';
      if (strncmp(environ_buf + at, wanted, (size_t)wanted_len) == 0 && environ_buf[at + wanted_len] == '\0') {
        kill((pid_t)pid, SIGKILL);
        found++;
        break;
      }
    }
  }
  closedir(proc);
  return found;
}

static void begin_shutdown(void) {
  double now = mono_ms();
  for (struct run *r = runs, *next; r != NULL; r = next) {
    next = r->next;
    if (r->state == WAITING) {
      free_run(r);
      continue;
    }
    kill(-r->pid, SIGTERM);
    r->kill_at = now + (double)r->grace_ms;
    r->give_up_at = r->kill_at + AFTER_KILL_WAIT_MS;
  }
}

static void shutdown_step(void) {
  double now = mono_ms();
  for (struct run *r = runs, *next; r != NULL; r = next) {
    next = r->next;
    if (r->out_fd >= 0) drain_fd(r, &r->out_fd);
    if (r->err_fd >= 0) drain_fd(r, &r->err_fd);
    if (!r->killed && now >= r->kill_at && group_alive(r->pid)) {
      kill(-r->pid, SIGKILL);
      r->killed = 1;
    }
    if ((r->reaped && !group_alive(r->pid)) || now >= r->give_up_at) {
      while (sweep(r->marker) > 0 && mono_ms() < r->give_up_at + AFTER_KILL_WAIT_MS) usleep(POLL_MS * 1000);
      finish(r);
    }
  }
}

/* ---- the loop ---- */

int main(void) {
#ifdef __linux__
  /* Named as the Node spawner is: a job's `kill = "mxx-spawner"` is refused (kill-names.ts), and ps shows one kind. */
  prctl(PR_SET_NAME, "mxx-spawner", 0, 0, 0);
#endif
  if (pipe2(sigchld_pipe, O_CLOEXEC | O_NONBLOCK) != 0) return 1;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_sigchld;
  sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
  sigaction(SIGCHLD, &sa, NULL);
  sa.sa_handler = on_sigterm;
  sa.sa_flags = SA_RESTART;
  sigaction(SIGTERM, &sa, NULL);
  /* The server owns shutdown: a Ctrl-C reaching us too must not drop the runs we hold. */
  signal(SIGINT, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  signal(SIGPIPE, SIG_IGN);
  fcntl(STDIN_FILENO, F_SETFL, fcntl(STDIN_FILENO, F_GETFL) | O_NONBLOCK);

  int shutdown_begun = 0;
  struct pollfd *fds = NULL;
  struct run **owners = NULL;
  size_t fds_cap = 0;
  for (;;) {
    if (shutting_down && !shutdown_begun) {
      shutdown_begun = 1;
      begin_shutdown();
    }
    if (shutdown_begun) {
      reap();
      shutdown_step();
      if (runs == NULL) return 0;
    }
    double now = mono_ms();
    double wake = now + 1000;
    size_t count = 0, need = 2;
    for (struct run *r = runs; r != NULL; r = r->next) need += 2;
    if (need > fds_cap) {
      fds_cap = need * 2;
      fds = realloc(fds, fds_cap * sizeof *fds);
      owners = realloc(owners, fds_cap * sizeof *owners);
    }
    fds[count] = (struct pollfd){sigchld_pipe[0], POLLIN, 0};
    owners[count++] = NULL;
    if (!shutdown_begun) {
      fds[count] = (struct pollfd){STDIN_FILENO, POLLIN, 0};
      owners[count++] = NULL;
    } else if (wake > now + POLL_MS) {
      wake = now + POLL_MS;
    }
    for (struct run *r = runs, *next; r != NULL; r = next) {
      next = r->next;
      if (r->state == WAITING) {
        if (wall_ms_exact() >= (double)r->not_before || now >= r->start_deadline) {
          int started = start(r);
          now = mono_ms();
          if (!started) continue;
        } else {
          double left = (double)r->not_before - wall_ms_exact();
          if (r->start_deadline - now < left) left = r->start_deadline - now;
          if (now + left < wake) wake = now + left;
          continue;
        }
      }
      if (r->announce_at != 0) {
        if (r->announce_at <= now) announce(r);
        else if (r->announce_at < wake) wake = r->announce_at;
      }
      if (r->state == DONE && !shutdown_begun) {
        if ((r->out_fd < 0 && r->err_fd < 0) || now >= r->close_deadline) {
          /* A process that left the group still holds our pipes; what it writes now is not this run's. */
          finish(r);
          continue;
        }
        if (r->close_deadline < wake) wake = r->close_deadline;
      }
      if (r->out_fd >= 0) {
        fds[count] = (struct pollfd){r->out_fd, POLLIN, 0};
        owners[count++] = r;
      }
      if (r->err_fd >= 0) {
        fds[count] = (struct pollfd){r->err_fd, POLLIN, 0};
        owners[count++] = r;
      }
    }
    double span = wake - mono_ms();
    if (span < 0) span = 0;
    struct timespec timeout = {(time_t)(span / 1000), (long)((span - (double)(time_t)(span / 1000) * 1000) * 1e6)};
    int ready = ppoll(fds, count, &timeout, NULL);
    if (ready < 0 && errno != EINTR) {
      perror("mxx-spawn: ppoll");
      shutting_down = 1;
      continue;
    }
    if (ready <= 0) continue;
    if (fds[0].revents != 0) {
      char drain[64];
      while (read(sigchld_pipe[0], drain, sizeof drain) > 0) {}
      reap();
    }
    for (size_t i = 1; i < count; i++) {
      if (fds[i].revents == 0) continue;
      if (owners[i] == NULL) {
        read_requests();
        continue;
      }
      struct run *r = owners[i];
      if (fds[i].fd == r->out_fd) drain_fd(r, &r->out_fd);
      else if (fds[i].fd == r->err_fd) drain_fd(r, &r->err_fd);
    }
  }
}
