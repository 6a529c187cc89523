/*
 * fuzz_ttrpc.c — the containerd shim's ttrpc input path (src/shim): bytes
 * arrive on a connection in pieces of fuzzer-chosen sizes, are split into
 * frames (ttrpc_frame_parse over a ttrpc_rbuf), each frame's payload is
 * unpacked as a ttrpc Request, and the Task method's own request message is
 * unpacked from it, as the server does before running a handler. Handlers
 * are not run (they fork, mount and signal). Each request is answered with a
 * Status into a pipe to exercise the response encoder, and a frame is
 * re-encoded and parsed back to check the header round trip.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shim/shim.h"
#include "shim/ttrpc.h"
#include "ttrpc.pb-c.h"

/* Checked in every build type (RelWithDebInfo defines NDEBUG, which would drop assert). */
#define CHECK(c) \
  do {           \
    if (!(c)) abort(); \
  } while (0)

static int sink = -1;

static void handle(const ttrpc_frame *f) {
  uint8_t hdr[TTRPC_HEADER_SIZE];
  ttrpc_header_write(hdr, f->length, f->stream, f->type, f->flags);
  ttrpc_frame g;
  CHECK(ttrpc_frame_parse(hdr, sizeof hdr, &g) == (f->length ? 0 : (long)TTRPC_HEADER_SIZE));
  Wrun__Ttrpc__Request *req = wrun__ttrpc__request__unpack(NULL, f->length, f->payload);
  if (!req) return;
  bool implemented = false;
  const ProtobufCMessageDescriptor *d = shim_method_request(req->service, req->method, &implemented);
  if (d) {
    ProtobufCMessage *m = protobuf_c_message_unpack(d, NULL, req->payload.len, req->payload.data);
    if (m) {
      /* A decoded request packs into exactly its packed size (ASan sees any
       * overrun of the exact-size buffer). Decoding that again is not
       * checked: protobuf-c keeps an unknown field numbered 0 when its tag
       * is a non-minimal varint (85 00) but rejects the minimal tag (05) it
       * packs it back as, so the round trip is not an invariant of the
       * library, and the server never re-packs a request anyway. */
      size_t n = protobuf_c_message_get_packed_size(m);
      uint8_t *p = malloc(n ? n : 1);
      CHECK(p);
      CHECK(protobuf_c_message_pack(m, p) == n);
      ProtobufCMessage *again = protobuf_c_message_unpack(d, NULL, n, p);
      if (again) protobuf_c_message_free_unpacked(again, NULL);
      free(p);
    }
    protobuf_c_message_free_unpacked(m, NULL);
  }
  ttrpc_respond(sink, f->stream, NULL, implemented ? TTRPC_OK : TTRPC_UNIMPLEMENTED, req->method);
  wrun__ttrpc__request__free_unpacked(req, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (sink < 0) {
    sink = open("/dev/null", O_WRONLY | O_CLOEXEC);
    CHECK(sink >= 0);
  }
  if (size < 1) return 0;
  size_t piece = 1 + data[0] % 64; /* how the bytes trickle in */
  data++, size--;
  ttrpc_rbuf b = {0};
  size_t off = 0;
  while (off < size) {
    size_t n = size - off < piece ? size - off : piece;
    if (!ttrpc_rbuf_append(&b, data + off, n)) break;
    off += n;
    for (;;) {
      ttrpc_frame f;
      long used = ttrpc_frame_parse(b.data, b.len, &f);
      if (used < 0) goto done; /* the server closes such a connection */
      if (used == 0) break;
      CHECK((size_t)used <= b.len && (size_t)used == TTRPC_HEADER_SIZE + f.length);
      if (f.type == TTRPC_TYPE_REQUEST) handle(&f);
      ttrpc_rbuf_consume(&b, (size_t)used);
    }
  }
done:
  ttrpc_rbuf_free(&b);
  return 0;
}
