/*
 * workload.c — the task's process (workload.h): stdio, the program, Start,
 * signals and the exit status. Signals containerd's Kill sends (SIGTERM,
 * SIGINT, ...) are taken by a thread that interrupts the running wasm code and
 * any blocking WASI call with the same machinery as `wrun run --timeout`, so
 * the guest ends at its next loop head or call; SIGKILL needs no help.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "binary/module.h"
#include "cinst/instance.h"
#include "component/component.h"
#include "shim/cgroup.h"
#include "shim/shim.h"
#include "shim/workload.h"
#include "valid/valid.h"
#include "wasi/wasi.h"
#include "wasip2/http.h"
#include "wasip2/wasip2.h"

enum { EXIT_TRAP = 134, EXIT_REJECTED = 1 };

int shim_open_module(const char *rootfs, const shim_spec *spec, char *err, size_t errlen) {
  const char *prog = spec->args[0];
  char rel[4096];
  if (prog[0] == '/') snprintf(rel, sizeof rel, "%s", prog);
  else snprintf(rel, sizeof rel, "%s/%s", spec->cwd, prog);
  int root = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0) {
    snprintf(err, errlen, "%s: cannot open the rootfs: %s", rootfs, strerror(errno));
    return -1;
  }
  struct open_how how = {.flags = O_RDONLY | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
  int fd = (int)syscall(SYS_openat2, root, rel, &how, sizeof how);
  close(root);
  if (fd < 0) {
    snprintf(err, errlen, "%s: cannot open the program in the rootfs: %s", rel, strerror(errno));
    return -1;
  }
  uint8_t magic[4];
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || pread(fd, magic, 4, 0) != 4 ||
      memcmp(magic, "\0asm", 4) != 0) {
    snprintf(err, errlen, "%s: not a WebAssembly module or component (no \\0asm header)", rel);
    close(fd);
    return -1;
  }
  return fd;
}

/* ---- signals --------------------------------------------------------------------- */

static pthread_mutex_t sig_mu = PTHREAD_MUTEX_INITIALIZER;
static wrun_store *sig_store;   /* what a signal interrupts, once running */
static wasi_ctx *sig_wasi;
static atomic_int sig_taken;    /* the signal that ended the guest, 0 if none */

static void *signal_thread(void *arg) {
  sigset_t *set = arg;
  int sig;
  while (sigwait(set, &sig) != 0) {}
  atomic_store(&sig_taken, sig);
  pthread_mutex_lock(&sig_mu);
  bool running = sig_store != NULL;
  if (running) {
    rt_store_interrupt(sig_store);
    wasi_interrupt(sig_wasi);
  }
  pthread_mutex_unlock(&sig_mu);
  if (!running) _exit(128 + sig);
  /* the guest stops at its next loop head, call or host wait; a host call the
   * interrupt cannot reach still ends the process in time */
  struct timespec grace = {2, 0};
  nanosleep(&grace, NULL);
  _exit(128 + sig);
}

static const int stop_signals[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM};

static void start_signal_thread(void) {
  static sigset_t set;
  sigemptyset(&set);
  for (size_t i = 0; i < sizeof stop_signals / sizeof *stop_signals; i++) sigaddset(&set, stop_signals[i]);
  pthread_sigmask(SIG_SETMASK, &set, NULL); /* only the thread takes them */
  pthread_t t;
  if (pthread_create(&t, NULL, signal_thread, &set) == 0) pthread_detach(t);
}

/* ---- stdio ----------------------------------------------------------------------- */

/* Puts the stdin the shim opened on descriptor 0, blocking again. */
static void wire_stdin(int fd) {
  if (fd < 0) fd = open("/dev/null", O_RDONLY);
  else fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  if (fd > 0) {
    dup2(fd, 0);
    close(fd);
  }
}

/* Puts an output fifo the shim opened on descriptor `target` (1, 2). */
static void wire_output(int fd, int target) {
  if (fd < 0) fd = open("/dev/null", O_WRONLY);
  if (fd >= 0 && fd != target) {
    dup2(fd, target);
    close(fd);
  }
}

static uint8_t *read_fd(int fd, size_t *len) {
  struct stat st;
  if (fstat(fd, &st) != 0 || st.st_size <= 0) return NULL;
  uint8_t *p = malloc((size_t)st.st_size);
  size_t got = 0;
  while (p && got < (size_t)st.st_size) {
    ssize_t n = pread(fd, p + got, (size_t)st.st_size - got, (off_t)got);
    if (n <= 0) {
      free(p);
      return NULL;
    }
    got += (size_t)n;
  }
  *len = got;
  return p;
}

/* ---- running ----------------------------------------------------------------------- */

/* True once Start's byte came; false when the shim went away or deleted the
 * task unstarted. Waits only the first time: every path ends by calling it,
 * so a program that failed before Start still ends after it. */
static bool wait_for_start(int fd) {
  static int result = -1;
  if (result >= 0) return result;
  char c;
  ssize_t n;
  do n = read(fd, &c, 1);
  while (n < 0 && errno == EINTR);
  close(fd);
  result = n == 1;
  shim_trace(NULL, result ? "task: Start came" : "task: the shim went away before Start");
  return result;
}

static void publish_running(wrun_store *s, wasi_ctx *w) {
  pthread_mutex_lock(&sig_mu);
  sig_store = s;
  sig_wasi = w;
  pthread_mutex_unlock(&sig_mu);
}

/* The status for a failed call: the guest's exit, a signal's 128+N, or a trap. */
static int failure_status(const char *prog, wrun_store *s, const rt_error *err) {
  int sig = atomic_load(&sig_taken);
  if (sig) return 128 + sig;
  if (err->kind == WRUN_ERR_TRAP || err->kind == WRUN_ERR_EXHAUSTION) {
    if (rt_store_trap_kind(s) == WRUN_TRAP_EXIT) return rt_store_exit_code(s);
    fprintf(stderr, "%s: wasm trap: %s%s\n", prog, err->message,
            rt_store_trap_kind(s) == WRUN_TRAP_TIMEOUT ? " (the io.wrun.timeout deadline)" : "");
    return EXIT_TRAP;
  }
  char buf[600];
  fprintf(stderr, "%s\n", rt_error_format(err, prog, buf, sizeof buf));
  return EXIT_REJECTED;
}

/* --timeout's deadline, from the annotation: a thread that interrupts like a signal. */
static void *deadline_thread(void *arg) {
  uint64_t ns = *(uint64_t *)arg;
  struct timespec ts = {(time_t)(ns / 1000000000u), (long)(ns % 1000000000u)};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
  pthread_mutex_lock(&sig_mu);
  if (sig_store) {
    rt_store_interrupt(sig_store);
    wasi_interrupt(sig_wasi);
  }
  pthread_mutex_unlock(&sig_mu);
  return NULL;
}

static void start_deadline(const shim_spec *spec) {
  static uint64_t ns;
  ns = spec->timeout_ns;
  pthread_t t;
  if (ns && pthread_create(&t, NULL, deadline_thread, &ns) == 0) pthread_detach(t);
}

static rt_config store_config(const shim_spec *spec) {
  rt_config cfg = {0};
  cfg.max_memory_bytes = spec->memory_limit;
  cfg.interruptible = true; /* Kill must be able to stop a looping guest */
  return cfg;
}

/* ---- HTTP handlers ------------------------------------------------------------------ */

/* True when `wrun serve` would take the module as an http-wasm handler: the
 * same test as its detection (src/serve/httpwasm.c), an exported function
 * handle_request: [] -> [i64] or an import from http_handler. */
static bool httpwasm_module(const wm_module *m) {
  for (uint32_t i = 0; i < m->nexports; i++) {
    const wm_export *e = &m->exports[i];
    if (e->kind != WASM_EXTERN_FUNC || strcmp(e->name.ptr, "handle_request") != 0) continue;
    const wm_functype *ft = wm_module_func_type(m, e->index);
    if (ft && ft->nparams == 0 && ft->nresults == 1 && wm_functype_results(ft)[0] == WASM_I64) return true;
  }
  for (uint32_t i = 0; i < m->nimports; i++)
    if (strcmp(m->imports[i].module.ptr, "http_handler") == 0) return true;
  return false;
}

/* Runs an HTTP handler as `wrun serve` does, by exec of wrun-serve (beside
 * the shim) once Start came: in the pod's network namespace (joined already),
 * listening on the spec's address, its access log on the task's stderr. The
 * program goes over as a memfd, since the rootfs path means nothing outside
 * the task's view of it. Returns only on failure, with the status. */
static int exec_serve(const shim_launch *l, const uint8_t *bytes, size_t len) {
  const shim_spec *spec = l->spec;
  const char *prog = spec->args[0];
  if (!l->serve_binary) {
    fprintf(stderr, "%s: an HTTP handler needs wrun-serve beside containerd-shim-wrun-v2 (installed together)\n",
            prog);
    return EXIT_REJECTED;
  }
  int fd = memfd_create("wrun-serve-program", 0); /* inherited by wrun-serve */
  size_t off = 0;
  while (fd >= 0 && off < len) {
    ssize_t n = write(fd, bytes + off, len - off);
    if (n <= 0) break;
    off += (size_t)n;
  }
  if (fd < 0 || off < len) {
    fprintf(stderr, "%s: passing the program to wrun-serve: %s\n", prog, strerror(errno));
    if (fd >= 0) close(fd);
    return EXIT_REJECTED;
  }
  if (!wait_for_start(l->start_fd)) {
    close(fd);
    return EXIT_REJECTED;
  }
  char path[64], maxmem[32], timeout[32];
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  const char *argv[12];
  int n = 0;
  argv[n++] = "wrun-serve";
  argv[n++] = "serve";
  argv[n++] = "--addr";
  argv[n++] = spec->serve_addr ? spec->serve_addr : SHIM_SERVE_DEFAULT_ADDR;
  if (spec->memory_limit >= 4096 && spec->memory_limit < (4ull << 30)) { /* --max-memory's range */
    snprintf(maxmem, sizeof maxmem, "%lluK", (unsigned long long)(spec->memory_limit / 1024));
    argv[n++] = "--max-memory";
    argv[n++] = maxmem;
  }
  if (spec->timeout_ns) { /* io.wrun.timeout: each request's deadline */
    snprintf(timeout, sizeof timeout, "%llums", (unsigned long long)(spec->timeout_ns + 999999) / 1000000);
    argv[n++] = "--timeout";
    argv[n++] = timeout;
  }
  argv[n++] = path;
  argv[n] = NULL;
  /* wrun-serve takes SIGTERM itself (it drains), so nothing stays blocked */
  sigset_t none;
  sigemptyset(&none);
  pthread_sigmask(SIG_SETMASK, &none, NULL);
  fflush(NULL);
  execv(l->serve_binary, (char *const *)argv);
  fprintf(stderr, "%s: running %s: %s\n", prog, l->serve_binary, strerror(errno));
  close(fd);
  return EXIT_REJECTED;
}

/* Everything up to the call of _start happens before Start when the module
 * has no start function (no guest code runs while instantiating it): the
 * time containerd takes to send Start then hides the engine's setup. With a
 * start function, instantiating waits for Start. A failure is reported
 * after Start, as the task's exit status. */
static int run_module(const shim_launch *l, const uint8_t *bytes, size_t len) {
  const shim_spec *spec = l->spec;
  const char *prog = spec->args[0];
  rt_error err;
  rt_error_clear(&err);
  int status = EXIT_REJECTED;
  bool started = false;
  wasi_ctx *wasi = NULL;
  wrun_store *s = NULL;
  rt_extern *imports = NULL;
  wrun_instance *inst = NULL;
  /* the rootfs as "/", then the spec's bind mounts at their destinations */
  wasi_preopen *pre = calloc((size_t)spec->nmounts + 1, sizeof *pre);
  wm_module *m = pre ? wm_module_decode(bytes, len, &err) : NULL;
  if (m && wm_module_validate(m, &err)) shim_trace(NULL, "task: module decoded and validated");
  else {
    char buf[600];
    fprintf(stderr, "%s\n", pre ? rt_error_format(&err, prog, buf, sizeof buf) : "out of memory");
    goto done;
  }
  if (httpwasm_module(m)) {
    status = exec_serve(l, bytes, len);
    goto done;
  }
  pre[0] = (wasi_preopen){.host_path = l->rootfs, .guest_path = "/", .readonly = spec->root_readonly};
  for (int i = 0; i < spec->nmounts; i++)
    pre[i + 1] = (wasi_preopen){.host_path = spec->mounts[i].source, .guest_path = spec->mounts[i].destination,
                                .readonly = spec->mounts[i].readonly};
  wasi_config wc = {.argc = spec->nargs, .argv = spec->args, .envc = spec->nenv, .env = spec->env,
                    .npreopens = spec->nmounts + 1, .preopens = pre, .interruptible = true};
  wasi = wasi_new(&wc, &err);
  rt_config cfg = store_config(spec);
  s = wasi ? engine_store_new(&cfg) : NULL;
  imports = s ? calloc(m->nimports + 1, sizeof *imports) : NULL;
  if (!imports) {
    char buf[600];
    if (!wasi) fprintf(stderr, "%s\n", rt_error_format(&err, prog, buf, sizeof buf));
    else fprintf(stderr, "%s: out of memory creating the store\n", prog);
    goto done;
  }
  if (m->start != WASM_NONE_IDX) {
    if (!(started = wait_for_start(l->start_fd))) goto done;
    publish_running(s, wasi);
    start_deadline(spec);
  }
  if (wasi_link(wasi, s, m, imports, &err)) inst = rt_instantiate(s, m, imports, m->nimports, &err);
  shim_trace(NULL, "task: instantiated");
  if (!inst) {
    status = failure_status(prog, s, &err);
    goto done;
  }
  rt_extern ex;
  if (!rt_instance_export(inst, "_start", 6, &ex) || ex.kind != WASM_EXTERN_FUNC ||
      rt_func_type(ex.of.func)->nparams || rt_func_type(ex.of.func)->nresults) {
    fprintf(stderr, "%s: error: no exported function \"_start\" of type [] -> []\n", prog);
    goto done;
  }
  if (!started) {
    if (!(started = wait_for_start(l->start_fd))) goto done;
    publish_running(s, wasi);
    start_deadline(spec);
  }
  shim_trace(NULL, "task: started, calling _start");
  status = rt_call(s, ex.of.func, NULL, 0, NULL, 0, &err) ? 0 : failure_status(prog, s, &err);
  shim_trace(NULL, "task: _start returned");
done:
  publish_running(NULL, NULL);
  free(imports);
  rt_store_free(s);
  wasi_free(wasi);
  free(pre);
  wm_module_free(m);
  return status;
}

/* The name of the component's wasi:cli/run export ("" if none). */
static wc_str run_export(const wc_component *c) {
  for (uint32_t i = 0; i < c->ndefs; i++) {
    const wc_def *d = &c->defs[i];
    if (d->kind == WC_DEF_EXPORT && d->sort == WC_INSTANCE && d->u.ie.name.len >= 17 &&
        !memcmp(d->u.ie.name.ptr, "wasi:cli/run@0.2.", 17))
      return d->u.ie.name;
  }
  return (wc_str){"", 0};
}

static int run_component(const shim_launch *l, const uint8_t *bytes, size_t len) {
  const shim_spec *spec = l->spec;
  const char *prog = spec->args[0];
  rt_error err;
  rt_error_clear(&err);
  wc_component *c = wc_component_load(bytes, len, &err);
  if (!c) {
    char buf[600];
    fprintf(stderr, "%s\n", rt_error_format(&err, prog, buf, sizeof buf));
    return EXIT_REJECTED;
  }
  char handler[160];
  if (wp2_http_handler_name(c, handler, sizeof handler)) { /* wasi:http/proxy, as `wrun serve` detects it */
    wc_component_free(c);
    return exec_serve(l, bytes, len);
  }
  wc_str run = run_export(c);
  char name[128];
  snprintf(name, sizeof name, "%.*s#run", (int)run.len, run.ptr);
  if (!run.len) {
    fprintf(stderr, "%s: error: the component exports no wasi:cli/run\n", prog);
    wc_component_free(c);
    return EXIT_REJECTED;
  }
  int status = EXIT_REJECTED;
  /* the host is made before Start (no guest code runs until instantiation);
   * preview 1's context serves the WASI 0.2 host's waits, so Kill ends them */
  wasi_config wcfg = {.argc = 1, .argv = spec->args, .interruptible = true};
  wasi_ctx *wasi = wasi_new(&wcfg, &err);
  rt_config cfg = store_config(spec);
  wrun_store *s = wasi ? engine_store_new(&cfg) : NULL;
  wc_host *host = s ? wc_host_new() : NULL;
  wp2_config pc = {.argc = spec->nargs, .argv = spec->args, .envc = spec->nenv, .env = spec->env, .interrupt = wasi};
  wp2_ctx *p2 = host ? wp2_new(&pc) : NULL;
  wc_arena arena = {0};
  wc_instance *inst = NULL;
  /* only the WASI 0.2 families the component imports (as `wrun` does): an
   * import the host lacks is still refused by the linker, with the same message */
  if (!p2 || !wp2_add_imports(p2, host, c, 0)) {
    fprintf(stderr, "%s: out of memory creating the WASI host\n", prog);
    goto done;
  }
  if (!wait_for_start(l->start_fd)) goto done;
  publish_running(s, wasi);
  start_deadline(spec);
  inst = wc_instantiate(s, c, host, &err);
  wc_value res;
  if (!inst) {
    status = failure_status(prog, s, &err);
  } else if (!wc_instance_call(inst, name, NULL, 0, &res, 1, &arena, &err)) {
    int code;
    status = wp2_exited(p2, &code) ? code : failure_status(prog, s, &err);
  } else {
    status = res.kind == WC_V_VARIANT && res.u.var.index == 0 ? 0 : 1;
  }
done:
  publish_running(NULL, NULL);
  wc_arena_free(&arena);
  wc_instance_free(inst);
  wp2_free(p2);
  wc_host_free(host);
  rt_store_free(s);
  wasi_free(wasi);
  wc_component_free(c);
  return status;
}

/* The pod sandbox's stand-in for the pause program: runs until told to stop. */
static _Noreturn void pause_until_stopped(int start_fd) {
  if (!wait_for_start(start_fd)) exit(EXIT_REJECTED);
  sigset_t set;
  sigemptyset(&set);
  for (size_t i = 0; i < sizeof stop_signals / sizeof *stop_signals; i++) sigaddset(&set, stop_signals[i]);
  sigprocmask(SIG_BLOCK, &set, NULL);
  int sig;
  while (sigwait(&set, &sig) != 0) {}
  exit(0); /* as pause does on SIGINT and SIGTERM */
}

/* Joins the pod's network namespace (the spec's linux.namespaces path), so
 * sockets the guest opens are on the pod's network. */
static bool join_netns(const char *path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  bool ok = fd >= 0 && setns(fd, CLONE_NEWNET) == 0;
  if (!ok) fprintf(stderr, "containerd-shim-wrun-v2: joining the network namespace %s: %s\n", path, strerror(errno));
  if (fd >= 0) close(fd);
  return ok;
}

/* Closes every descriptor from 3 on but `a` and `b` (-1: none). */
static void close_all_but(int a, int b) {
  int lo = a < b ? a : b, hi = a < b ? b : a;
  if (lo < 0) lo = hi, hi = -1;
  unsigned from = 3;
  int keep[2] = {lo, hi};
  for (int i = 0; i < 2; i++) {
    if (keep[i] < (int)from) continue;
    if ((unsigned)keep[i] > from) syscall(SYS_close_range, from, (unsigned)keep[i] - 1, 0u);
    from = (unsigned)keep[i] + 1;
  }
  syscall(SYS_close_range, from, ~0u, 0u);
}

_Noreturn void shim_workload_main(const shim_launch *l, pid_t shim) {
  /* a task does not outlive its shim: containerd's cleanup of a dead shim
   * (the `delete` command) then finds nothing running */
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != shim) _exit(128 + SIGKILL); /* it died before that took */
  /* into the task's cgroup before anything is allocated or run */
  if (!shim_cgroup_join(l->cgroup_procs_fd)) {
    fprintf(stderr, "containerd-shim-wrun-v2: joining the task's cgroup: %s\n", strerror(errno));
    _exit(EXIT_REJECTED);
  }
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  for (int i = 1; i < NSIG; i++)
    if (i != SIGKILL && i != SIGSTOP) signal(i, SIG_DFL);
  signal(SIGPIPE, SIG_IGN); /* a closed fifo is an error the guest sees, not a death */
  if (l->spec->netns && !join_netns(l->spec->netns)) exit(EXIT_REJECTED);
  if (l->spec->pod_sandbox) {
    close_all_but(l->start_fd, -1);
    pause_until_stopped(l->start_fd);
  }
  /* the trace (WRUN_SHIM_TRACE) goes on to the shim's log, not the task's stderr */
  int trace_fd = shim_trace_enabled() ? fcntl(2, F_DUPFD_CLOEXEC, 3) : -1;
  shim_trace_set_fd(trace_fd, l->task_id);
  shim_trace(NULL, "task: process running");
  start_signal_thread();
  wire_stdin(l->stdin_fd);
  /* stderr first: stdout's descriptor may be 2 when the shim's own stderr was closed */
  int out = l->stdout_fd == 2 ? dup(l->stdout_fd) : l->stdout_fd;
  wire_output(l->stderr_fd, 2);
  wire_output(out, 1);
  /* the rootfs and the program, while containerd answers Create and sends
   * Start; a failure is the task's status (after Start), its reason on the
   * task's stderr */
  char err[1024];
  int module_fd = l->module_fd;
  if (l->rootfs_mount && !shim_mount_rootfs(l->rootfs_mount, l->rootfs, err, sizeof err)) {
    fprintf(stderr, "containerd-shim-wrun-v2: %s\n", err);
    wait_for_start(l->start_fd);
    exit(EXIT_REJECTED);
  }
  shim_trace(NULL, "task: rootfs mounted");
  if (module_fd < 0 && (module_fd = shim_open_module(l->rootfs, l->spec, err, sizeof err)) < 0) {
    fprintf(stderr, "containerd-shim-wrun-v2: %s\n", err);
    wait_for_start(l->start_fd);
    exit(EXIT_REJECTED);
  }
  size_t len = 0;
  uint8_t *bytes = read_fd(module_fd, &len);
  /* nothing of the shim's stays open in the task: sockets, other tasks' fifos */
  close_all_but(l->start_fd, trace_fd);
  if (!bytes) {
    fprintf(stderr, "%s: cannot read the program\n", l->spec->args[0]);
    wait_for_start(l->start_fd);
    exit(EXIT_REJECTED);
  }
  bool module = len >= 8 && bytes[4] == 1 && bytes[5] == 0 && bytes[6] == 0 && bytes[7] == 0;
  int status = module ? run_module(l, bytes, len) : run_component(l, bytes, len);
  /* a program that failed before Start still ends after it: containerd
   * expects Start of a created task to succeed, and the failure as its status */
  wait_for_start(l->start_fd);
  free(bytes);
  shim_trace(NULL, "task: exiting");
  fflush(NULL);
  exit(status & 0xff);
}
