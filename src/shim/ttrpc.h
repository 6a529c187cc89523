/*
 * ttrpc.h — containerd's ttrpc protocol over a stream socket: frames of a
 * 10-byte header (payload length, stream id, both big-endian u32; type; flags)
 * and a protobuf payload, a Request (service, method, payload) of type 1
 * answered by a Response (status, payload) of type 2 on the same stream id.
 * Written from the protocol's description in containerd/ttrpc; the protobuf
 * envelope is proto/ttrpc.proto.
 */
#ifndef WRUN_SHIM_TTRPC_H
#define WRUN_SHIM_TTRPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#define TTRPC_HEADER_SIZE 10u
#define TTRPC_MESSAGE_MAX (4u << 20) /* ttrpc's own limit on one payload */

enum { TTRPC_TYPE_REQUEST = 1, TTRPC_TYPE_RESPONSE = 2 };

/* gRPC status codes used in answers (google.rpc.Code). */
enum {
  TTRPC_OK = 0,
  TTRPC_INVALID_ARGUMENT = 3,
  TTRPC_NOT_FOUND = 5,
  TTRPC_ALREADY_EXISTS = 6,
  TTRPC_FAILED_PRECONDITION = 9,
  TTRPC_UNIMPLEMENTED = 12,
  TTRPC_INTERNAL = 13,
  TTRPC_UNAVAILABLE = 14,
};

typedef struct ttrpc_frame {
  uint32_t length;        /* of the payload */
  uint32_t stream;
  uint8_t type, flags;
  const uint8_t *payload; /* points into the parsed buffer */
} ttrpc_frame;

/* Parses the frame at the start of buf[0..len): returns the bytes it takes
 * (header and payload) when whole, 0 when more bytes are needed, -1 when the
 * header announces a payload over TTRPC_MESSAGE_MAX (the connection is then
 * unusable: ttrpc closes it too). */
long ttrpc_frame_parse(const uint8_t *buf, size_t len, ttrpc_frame *f);

/* Writes a frame header into out. */
void ttrpc_header_write(uint8_t out[TTRPC_HEADER_SIZE], uint32_t length, uint32_t stream, uint8_t type,
                        uint8_t flags);

/* A receive buffer of one connection. */
typedef struct ttrpc_rbuf {
  uint8_t *data;
  size_t len, cap;
} ttrpc_rbuf;

/* Reads what fd has (one read). Returns bytes read, 0 at end of stream, -1 on
 * error (errno; EAGAIN when nothing is there). */
long ttrpc_rbuf_fill(ttrpc_rbuf *b, int fd);
/* Appends bytes (the fuzz target feeds input this way). False when out of memory. */
bool ttrpc_rbuf_append(ttrpc_rbuf *b, const uint8_t *p, size_t n);
/* Drops the first n bytes (a consumed frame). */
void ttrpc_rbuf_consume(ttrpc_rbuf *b, size_t n);
void ttrpc_rbuf_free(ttrpc_rbuf *b);

/* Writes one frame whose payload is `msg` packed (NULL: empty). Blocking;
 * false on a write error or when out of memory. */
bool ttrpc_send_message(int fd, uint32_t stream, uint8_t type, const ProtobufCMessage *msg);

/* Answers request `stream`: with code TTRPC_OK the payload is `reply` packed
 * (NULL: an empty message, as google.protobuf.Empty); otherwise a Status of
 * `code` and `message`. */
bool ttrpc_respond(int fd, uint32_t stream, const ProtobufCMessage *reply, int code, const char *message);

/* Sends a Request for service/method with `request` packed, carrying the
 * containerd namespace `ns` (may be NULL) and a timeout. False when the
 * write failed or out of memory. */
bool ttrpc_send_request(int fd, uint32_t stream, const char *service, const char *method,
                        const ProtobufCMessage *request, const char *ns, int timeout_ms);

/* The status code a Response frame carries (TTRPC_OK when it has no
 * status), or -1 when its payload is not a Response. */
int ttrpc_response_code(const ttrpc_frame *f);

#endif
