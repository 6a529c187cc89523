/* test_shim_protocol.c — the containerd shim without containerd and without
 * root: ttrpc framing edge cases, the Response envelope, and a whole task's
 * life over the Task service on a unix socket (shim_serve in a forked
 * process; a bundle made here, its rootfs a plain directory holding a module
 * whose _start exits 7): Create, State, Start, Wait, Pids, Connect, Kill of a
 * finished task, Delete, the Unimplemented answers, malformed requests,
 * config.json errors, and Shutdown ending the server. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "github.com/containerd/containerd/runtime/v2/task/shim.pb-c.h"
#include "shim/shim.h"
#include "shim/spec.h"
#include "shim/ttrpc.h"
#include "ttrpc.pb-c.h"

/* (module (import "wasi_snapshot_preview1" "proc_exit" (func (param i32)))
 *   (memory (export "memory") 1) (func (export "_start") (call 0 (i32.const 7)))) */
static const uint8_t exit7_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x02, 0x60, 0x01, 0x7f, 0x00, 0x60, 0x00, 0x00,
    0x02, 0x24, 0x01, 0x16, 0x77, 0x61, 0x73, 0x69, 0x5f, 0x73, 0x6e, 0x61, 0x70, 0x73, 0x68, 0x6f, 0x74, 0x5f,
    0x70, 0x72, 0x65, 0x76, 0x69, 0x65, 0x77, 0x31, 0x09, 0x70, 0x72, 0x6f, 0x63, 0x5f, 0x65, 0x78, 0x69, 0x74,
    0x00, 0x00, 0x03, 0x02, 0x01, 0x01, 0x05, 0x03, 0x01, 0x00, 0x01, 0x07, 0x13, 0x02, 0x06, 0x6d, 0x65, 0x6d,
    0x6f, 0x72, 0x79, 0x02, 0x00, 0x06, 0x5f, 0x73, 0x74, 0x61, 0x72, 0x74, 0x00, 0x01, 0x0a, 0x08, 0x01, 0x06,
    0x00, 0x41, 0x07, 0x10, 0x00, 0x0b};

static void framing(void **state) {
  (void)state;
  uint8_t buf[64];
  ttrpc_frame f;
  ttrpc_header_write(buf, 3, 0x01020304, TTRPC_TYPE_REQUEST, 0);
  memcpy(buf + 10, "abc", 3);
  assert_int_equal(ttrpc_frame_parse(buf, 9, &f), 0);  /* header incomplete */
  assert_int_equal(ttrpc_frame_parse(buf, 12, &f), 0); /* payload incomplete */
  assert_int_equal(ttrpc_frame_parse(buf, 13, &f), 13);
  assert_int_equal(f.stream, 0x01020304);
  assert_int_equal(f.type, TTRPC_TYPE_REQUEST);
  assert_memory_equal(f.payload, "abc", 3);
  assert_int_equal(buf[0], 0); /* big-endian length */
  assert_int_equal(buf[3], 3);
  ttrpc_header_write(buf, TTRPC_MESSAGE_MAX + 1, 1, 1, 0);
  assert_int_equal(ttrpc_frame_parse(buf, 10, &f), -1); /* over 4 MiB: refused from the header alone */
  ttrpc_header_write(buf, TTRPC_MESSAGE_MAX, 1, 1, 0);
  assert_int_equal(ttrpc_frame_parse(buf, 10, &f), 0); /* at the limit: waits for the payload */
  ttrpc_rbuf b = {0};
  assert_true(ttrpc_rbuf_append(&b, (const uint8_t *)"0123456789", 10));
  ttrpc_rbuf_consume(&b, 4);
  assert_int_equal(b.len, 6);
  assert_memory_equal(b.data, "456789", 6);
  ttrpc_rbuf_free(&b);
}

/* Reads one frame from fd into a fresh buffer (the caller frees *owner). */
static ttrpc_frame read_frame(int fd, ttrpc_rbuf *owner) {
  ttrpc_frame f;
  memset(&f, 0, sizeof f);
  for (;;) {
    long used = ttrpc_frame_parse(owner->data, owner->len, &f);
    assert_true(used >= 0);
    if (used > 0) return f;
    assert_true(ttrpc_rbuf_fill(owner, fd) > 0);
  }
}

static void response_envelope(void **state) {
  (void)state;
  int p[2];
  assert_int_equal(pipe(p), 0);
  assert_true(ttrpc_respond(p[1], 5, NULL, TTRPC_NOT_FOUND, "task x: not found"));
  Containerd__Task__V2__StartResponse ok = CONTAINERD__TASK__V2__START_RESPONSE__INIT;
  ok.pid = 4242;
  assert_true(ttrpc_respond(p[1], 7, &ok.base, TTRPC_OK, NULL));
  ttrpc_rbuf b = {0};
  ttrpc_frame f = read_frame(p[0], &b);
  assert_int_equal(f.type, TTRPC_TYPE_RESPONSE);
  assert_int_equal(f.stream, 5);
  Wrun__Ttrpc__Response *r = wrun__ttrpc__response__unpack(NULL, f.length, f.payload);
  assert_non_null(r);
  assert_non_null(r->status);
  assert_int_equal(r->status->code, TTRPC_NOT_FOUND);
  assert_string_equal(r->status->message, "task x: not found");
  wrun__ttrpc__response__free_unpacked(r, NULL);
  ttrpc_rbuf_consume(&b, TTRPC_HEADER_SIZE + f.length);
  f = read_frame(p[0], &b);
  assert_int_equal(f.stream, 7);
  r = wrun__ttrpc__response__unpack(NULL, f.length, f.payload);
  assert_null(r->status);
  Containerd__Task__V2__StartResponse *sr =
      containerd__task__v2__start_response__unpack(NULL, r->payload.len, r->payload.data);
  assert_int_equal(sr->pid, 4242);
  containerd__task__v2__start_response__free_unpacked(sr, NULL);
  wrun__ttrpc__response__free_unpacked(r, NULL);
  ttrpc_rbuf_free(&b);
  close(p[0]);
  close(p[1]);
}

/* ---- a task's life against a real server ----------------------------------------- */

static int conn_fd;
static uint32_t next_stream = 1;

/* Calls method with `req` packed (or raw bytes when req is NULL); returns the
 * status code and, on success, the unpacked answer of type `answer`. */
static int call(const char *method, const ProtobufCMessage *req, const uint8_t *raw, size_t rawlen,
                const ProtobufCMessageDescriptor *answer, ProtobufCMessage **out) {
  Wrun__Ttrpc__Request r = WRUN__TTRPC__REQUEST__INIT;
  r.service = SHIM_TASK_SERVICE;
  r.method = (char *)method;
  uint8_t *packed = NULL;
  if (req) {
    r.payload.len = protobuf_c_message_get_packed_size(req);
    packed = malloc(r.payload.len + 1);
    protobuf_c_message_pack(req, packed);
    r.payload.data = packed;
  } else {
    r.payload.data = (uint8_t *)raw;
    r.payload.len = rawlen;
  }
  uint32_t stream = next_stream;
  next_stream += 2;
  assert_true(ttrpc_send_message(conn_fd, stream, TTRPC_TYPE_REQUEST, &r.base));
  free(packed);
  ttrpc_rbuf b = {0};
  ttrpc_frame f = read_frame(conn_fd, &b);
  assert_int_equal(f.stream, stream);
  Wrun__Ttrpc__Response *resp = wrun__ttrpc__response__unpack(NULL, f.length, f.payload);
  assert_non_null(resp);
  int code = resp->status ? resp->status->code : TTRPC_OK;
  if (out) *out = code == TTRPC_OK && answer ? protobuf_c_message_unpack(answer, NULL, resp->payload.len,
                                                                          resp->payload.data) : NULL;
  wrun__ttrpc__response__free_unpacked(resp, NULL);
  ttrpc_rbuf_free(&b);
  return code;
}

static void write_file(const char *path, const void *data, size_t n) {
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(data, 1, n, f), n);
  fclose(f);
}

static const char config_json[] =
    "{\"ociVersion\":\"1.0.2\",\"process\":{\"args\":[\"/exit7.wasm\"],\"env\":[\"A=1\"],\"cwd\":\"/\"},"
    "\"root\":{\"path\":\"rootfs\"},\"linux\":{\"resources\":{\"memory\":{\"limit\":16777216}}}}";

static void task_life(void **state) {
  (void)state;
  char dir[] = "/tmp/wrun-shim-unit.XXXXXX";
  assert_non_null(mkdtemp(dir));
  char bundle[256], path[320], sock[300];
  snprintf(bundle, sizeof bundle, "%s/bundle", dir);
  snprintf(sock, sizeof sock, "%s/s.sock", dir);
  assert_int_equal(mkdir(bundle, 0700), 0);
  snprintf(path, sizeof path, "%s/rootfs", bundle);
  assert_int_equal(mkdir(path, 0700), 0);
  snprintf(path, sizeof path, "%s/rootfs/exit7.wasm", bundle);
  write_file(path, exit7_wasm, sizeof exit7_wasm);
  snprintf(path, sizeof path, "%s/config.json", bundle);
  write_file(path, config_json, sizeof config_json - 1);

  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  assert_true(strlen(sock) < sizeof sa.sun_path);
  memcpy(sa.sun_path, sock, strlen(sock) + 1);
  int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof sa), 0);
  assert_int_equal(listen(lfd, 8), 0);
  pid_t server = fork();
  assert_true(server >= 0);
  if (server == 0) {
    shim_args a = {.ns = "test", .id = "t1", .bundle = bundle};
    _exit(shim_serve(&a, lfd, sock));
  }
  close(lfd);
  conn_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  assert_int_equal(connect(conn_fd, (struct sockaddr *)&sa, sizeof sa), 0);

  ProtobufCMessage *out = NULL;
  Containerd__Task__V2__CreateTaskRequest cr = CONTAINERD__TASK__V2__CREATE_TASK_REQUEST__INIT;
  cr.id = "t1";
  cr.bundle = bundle;
  assert_int_equal(call("Create", &cr.base, NULL, 0, &containerd__task__v2__create_task_response__descriptor, &out),
                   TTRPC_OK);
  uint32_t pid = ((Containerd__Task__V2__CreateTaskResponse *)out)->pid;
  assert_true(pid > 0);
  protobuf_c_message_free_unpacked(out, NULL);
  assert_int_equal(call("Create", &cr.base, NULL, 0, NULL, NULL), TTRPC_ALREADY_EXISTS);

  Containerd__Task__V2__StateRequest sr = CONTAINERD__TASK__V2__STATE_REQUEST__INIT;
  sr.id = "t1";
  assert_int_equal(call("State", &sr.base, NULL, 0, &containerd__task__v2__state_response__descriptor, &out),
                   TTRPC_OK);
  assert_int_equal(((Containerd__Task__V2__StateResponse *)out)->status, TASK_CREATED);
  assert_int_equal(((Containerd__Task__V2__StateResponse *)out)->pid, pid);
  protobuf_c_message_free_unpacked(out, NULL);

  Containerd__Task__V2__ConnectRequest cn = CONTAINERD__TASK__V2__CONNECT_REQUEST__INIT;
  cn.id = "t1";
  assert_int_equal(call("Connect", &cn.base, NULL, 0, &containerd__task__v2__connect_response__descriptor, &out),
                   TTRPC_OK);
  assert_int_equal(((Containerd__Task__V2__ConnectResponse *)out)->shim_pid, (uint32_t)server);
  assert_int_equal(((Containerd__Task__V2__ConnectResponse *)out)->task_pid, pid);
  protobuf_c_message_free_unpacked(out, NULL);

  Containerd__Task__V2__StartRequest st = CONTAINERD__TASK__V2__START_REQUEST__INIT;
  st.id = "t1";
  assert_int_equal(call("Start", &st.base, NULL, 0, NULL, NULL), TTRPC_OK);
  assert_int_equal(call("Start", &st.base, NULL, 0, NULL, NULL), TTRPC_FAILED_PRECONDITION);

  Containerd__Task__V2__WaitRequest wr = CONTAINERD__TASK__V2__WAIT_REQUEST__INIT;
  wr.id = "t1";
  assert_int_equal(call("Wait", &wr.base, NULL, 0, &containerd__task__v2__wait_response__descriptor, &out),
                   TTRPC_OK);
  assert_int_equal(((Containerd__Task__V2__WaitResponse *)out)->exit_status, 7); /* the guest's proc_exit */
  assert_non_null(((Containerd__Task__V2__WaitResponse *)out)->exited_at);
  protobuf_c_message_free_unpacked(out, NULL);
  assert_int_equal(call("State", &sr.base, NULL, 0, &containerd__task__v2__state_response__descriptor, &out),
                   TTRPC_OK);
  assert_int_equal(((Containerd__Task__V2__StateResponse *)out)->status, TASK_STOPPED);
  assert_int_equal(((Containerd__Task__V2__StateResponse *)out)->exit_status, 7);
  protobuf_c_message_free_unpacked(out, NULL);

  Containerd__Task__V2__KillRequest kr = CONTAINERD__TASK__V2__KILL_REQUEST__INIT;
  kr.id = "t1";
  kr.signal = SIGTERM;
  assert_int_equal(call("Kill", &kr.base, NULL, 0, NULL, NULL), TTRPC_NOT_FOUND); /* already finished */
  Containerd__Task__V2__PidsRequest pr = CONTAINERD__TASK__V2__PIDS_REQUEST__INIT;
  pr.id = "t1";
  assert_int_equal(call("Pids", &pr.base, NULL, 0, &containerd__task__v2__pids_response__descriptor, &out),
                   TTRPC_OK);
  assert_int_equal(((Containerd__Task__V2__PidsResponse *)out)->n_processes, 0);
  protobuf_c_message_free_unpacked(out, NULL);

  /* what a Wasm task does not do, and what is not a request */
  Containerd__Task__V2__PauseRequest pa = CONTAINERD__TASK__V2__PAUSE_REQUEST__INIT;
  pa.id = "t1";
  static const char *const unimplemented[] = {"Exec", "Pause", "Resume", "Update", "Checkpoint", "ResizePty", "Nope"};
  for (size_t i = 0; i < sizeof unimplemented / sizeof *unimplemented; i++)
    assert_int_equal(call(unimplemented[i], &pa.base, NULL, 0, NULL, NULL), TTRPC_UNIMPLEMENTED);
  static const uint8_t junk[] = {0x0a, 0xff, 0x01};
  assert_int_equal(call("State", NULL, junk, sizeof junk, NULL, NULL), TTRPC_INVALID_ARGUMENT);
  sr.id = "nobody";
  assert_int_equal(call("State", &sr.base, NULL, 0, NULL, NULL), TTRPC_NOT_FOUND);

  /* a bundle whose config.json is broken: Create says where */
  snprintf(path, sizeof path, "%s/config.json", bundle);
  write_file(path, "{\"process\": {\"args\": []}}", 25);
  cr.id = "t2";
  assert_int_equal(call("Create", &cr.base, NULL, 0, NULL, NULL), TTRPC_INVALID_ARGUMENT);

  Containerd__Task__V2__DeleteRequest dr = CONTAINERD__TASK__V2__DELETE_REQUEST__INIT;
  dr.id = "t1";
  assert_int_equal(call("Delete", &dr.base, NULL, 0, &containerd__task__v2__delete_response__descriptor, &out),
                   TTRPC_OK);
  assert_int_equal(((Containerd__Task__V2__DeleteResponse *)out)->exit_status, 7);
  assert_int_equal(((Containerd__Task__V2__DeleteResponse *)out)->pid, pid);
  protobuf_c_message_free_unpacked(out, NULL);
  assert_int_equal(call("Delete", &dr.base, NULL, 0, NULL, NULL), TTRPC_NOT_FOUND);

  Containerd__Task__V2__ShutdownRequest sd = CONTAINERD__TASK__V2__SHUTDOWN_REQUEST__INIT;
  sd.id = "t1";
  assert_int_equal(call("Shutdown", &sd.base, NULL, 0, NULL, NULL), TTRPC_OK);
  int ws;
  assert_int_equal(waitpid(server, &ws, 0), server);
  assert_true(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
  assert_int_equal(access(sock, F_OK), -1); /* the socket is gone */
  close(conn_fd);
  snprintf(path, sizeof path, "rm -rf '%s'", dir);
  assert_int_equal(system(path), 0);
}

static void spec_errors(void **state) {
  (void)state;
  char dir[] = "/tmp/wrun-shim-spec.XXXXXX";
  assert_non_null(mkdtemp(dir));
  char path[128], err[512];
  snprintf(path, sizeof path, "%s/config.json", dir);
  shim_spec s;
  write_file(path, "{\"process\": ", 12);
  assert_false(shim_spec_load(path, &s, err, sizeof err));
  assert_non_null(strstr(err, "config.json:1:")); /* with a line and column */
  write_file(path, "{\"process\":{\"args\":[\"/a.wasm\"],\"env\":[1]}}", 42);
  assert_false(shim_spec_load(path, &s, err, sizeof err));
  assert_non_null(strstr(err, "process.env"));
  static const char good[] =
      "{\"process\":{\"args\":[\"/a.wasm\",\"x\"],\"env\":[\"K=V\"]},\"annotations\":{\"io.wrun.timeout\":\"250ms\","
      "\"io.kubernetes.cri.sandbox-id\":\"pod\"},\"linux\":{\"resources\":{\"memory\":{\"limit\":-1}},"
      "\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"network\",\"path\":\"/proc/1/ns/net\"}]}}";
  write_file(path, good, sizeof good - 1);
  assert_true(shim_spec_load(path, &s, err, sizeof err));
  assert_int_equal(s.nargs, 2);
  assert_string_equal(s.args[1], "x");
  assert_int_equal(s.timeout_ns, 250000000);
  assert_int_equal(s.memory_limit, 0); /* -1: unlimited */
  assert_string_equal(s.sandbox_id, "pod");
  assert_string_equal(s.netns, "/proc/1/ns/net");
  assert_string_equal(s.cwd, "/");
  shim_spec_free(&s);
  uint64_t ns;
  assert_false(shim_parse_duration("5x", &ns));
  assert_true(shim_parse_duration("2m", &ns) && ns == 120000000000ull);
  unlink(path);
  rmdir(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(framing),
      cmocka_unit_test(response_envelope),
      cmocka_unit_test(task_life),
      cmocka_unit_test(spec_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
