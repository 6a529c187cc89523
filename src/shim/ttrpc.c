/*
 * ttrpc.c — framing, buffering and the request/response envelope of ttrpc
 * (ttrpc.h). The server side is driven by server.c's poll loop; the client
 * side sends requests and reads their answers as they come (events.c).
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shim/ttrpc.h"
#include "ttrpc.pb-c.h"

static uint32_t get_be32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

long ttrpc_frame_parse(const uint8_t *buf, size_t len, ttrpc_frame *f) {
  if (len < TTRPC_HEADER_SIZE) return 0;
  f->length = get_be32(buf);
  f->stream = get_be32(buf + 4);
  f->type = buf[8];
  f->flags = buf[9];
  if (f->length > TTRPC_MESSAGE_MAX) return -1;
  if (len - TTRPC_HEADER_SIZE < f->length) return 0;
  f->payload = buf + TTRPC_HEADER_SIZE;
  return (long)(TTRPC_HEADER_SIZE + f->length);
}

void ttrpc_header_write(uint8_t out[TTRPC_HEADER_SIZE], uint32_t length, uint32_t stream, uint8_t type,
                        uint8_t flags) {
  put_be32(out, length);
  put_be32(out + 4, stream);
  out[8] = type;
  out[9] = flags;
}

static bool rbuf_reserve(ttrpc_rbuf *b, size_t more) {
  if (b->cap - b->len >= more) return true;
  size_t cap = b->cap ? b->cap : 4096;
  while (cap - b->len < more) {
    if (cap > TTRPC_MESSAGE_MAX * 4) return false;
    cap *= 2;
  }
  uint8_t *p = realloc(b->data, cap);
  if (!p) return false;
  b->data = p;
  b->cap = cap;
  return true;
}

long ttrpc_rbuf_fill(ttrpc_rbuf *b, int fd) {
  if (!rbuf_reserve(b, 4096)) {
    errno = ENOMEM;
    return -1;
  }
  ssize_t n = read(fd, b->data + b->len, b->cap - b->len);
  if (n > 0) b->len += (size_t)n;
  return (long)n;
}

bool ttrpc_rbuf_append(ttrpc_rbuf *b, const uint8_t *p, size_t n) {
  if (!rbuf_reserve(b, n)) return false;
  if (n) memcpy(b->data + b->len, p, n);
  b->len += n;
  return true;
}

void ttrpc_rbuf_consume(ttrpc_rbuf *b, size_t n) {
  if (n >= b->len) {
    b->len = 0;
    return;
  }
  memmove(b->data, b->data + n, b->len - n);
  b->len -= n;
}

void ttrpc_rbuf_free(ttrpc_rbuf *b) {
  free(b->data);
  memset(b, 0, sizeof *b);
}

static bool write_all(int fd, const uint8_t *p, size_t n) {
  while (n) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && errno == EAGAIN) { /* a peer slow to read: wait for room */
      struct pollfd pfd = {.fd = fd, .events = POLLOUT};
      if (poll(&pfd, 1, 5000) <= 0) return false;
      continue;
    }
    if (w <= 0) return false;
    p += w;
    n -= (size_t)w;
  }
  return true;
}

/* Packs `msg` (NULL: empty) behind a frame header in one buffer. */
static uint8_t *pack_frame(const ProtobufCMessage *msg, uint32_t stream, uint8_t type, size_t *total) {
  size_t n = msg ? protobuf_c_message_get_packed_size(msg) : 0;
  if (n > TTRPC_MESSAGE_MAX) return NULL;
  uint8_t *buf = malloc(TTRPC_HEADER_SIZE + n);
  if (!buf) return NULL;
  ttrpc_header_write(buf, (uint32_t)n, stream, type, 0);
  if (msg) protobuf_c_message_pack(msg, buf + TTRPC_HEADER_SIZE);
  *total = TTRPC_HEADER_SIZE + n;
  return buf;
}

bool ttrpc_send_message(int fd, uint32_t stream, uint8_t type, const ProtobufCMessage *msg) {
  size_t total;
  uint8_t *buf = pack_frame(msg, stream, type, &total);
  if (!buf) return false;
  bool ok = write_all(fd, buf, total);
  free(buf);
  return ok;
}

/* Packs a message into a new buffer for a bytes field. */
static bool pack_bytes(const ProtobufCMessage *msg, ProtobufCBinaryData *out) {
  out->len = msg ? protobuf_c_message_get_packed_size(msg) : 0;
  out->data = malloc(out->len ? out->len : 1);
  if (!out->data) return false;
  if (msg) protobuf_c_message_pack(msg, out->data);
  return true;
}

bool ttrpc_respond(int fd, uint32_t stream, const ProtobufCMessage *reply, int code, const char *message) {
  Wrun__Ttrpc__Response resp = WRUN__TTRPC__RESPONSE__INIT;
  Wrun__Ttrpc__Status st = WRUN__TTRPC__STATUS__INIT;
  if (code != TTRPC_OK) {
    st.code = code;
    st.message = (char *)(message ? message : "");
    resp.status = &st;
  } else if (!pack_bytes(reply, &resp.payload)) {
    return false;
  }
  bool ok = ttrpc_send_message(fd, stream, TTRPC_TYPE_RESPONSE, &resp.base);
  if (code == TTRPC_OK) free(resp.payload.data);
  return ok;
}

bool ttrpc_send_request(int fd, uint32_t stream, const char *service, const char *method,
                        const ProtobufCMessage *request, const char *ns, int timeout_ms) {
  Wrun__Ttrpc__Request req = WRUN__TTRPC__REQUEST__INIT;
  req.service = (char *)service;
  req.method = (char *)method;
  req.timeout_nano = (int64_t)timeout_ms * 1000000;
  /* containerd's ttrpc services read the namespace from this header */
  Wrun__Ttrpc__KeyValue kv = WRUN__TTRPC__KEY_VALUE__INIT;
  Wrun__Ttrpc__KeyValue *md[1] = {&kv};
  if (ns) {
    kv.key = "containerd-namespace-ttrpc";
    kv.value = (char *)ns;
    req.n_metadata = 1;
    req.metadata = md;
  }
  if (!pack_bytes(request, &req.payload)) return false;
  bool sent = ttrpc_send_message(fd, stream, TTRPC_TYPE_REQUEST, &req.base);
  free(req.payload.data);
  return sent;
}

int ttrpc_response_code(const ttrpc_frame *f) {
  Wrun__Ttrpc__Response *r = wrun__ttrpc__response__unpack(NULL, f->length, f->payload);
  if (!r) return -1;
  int code = r->status ? r->status->code : TTRPC_OK;
  wrun__ttrpc__response__free_unpacked(r, NULL);
  return code;
}
