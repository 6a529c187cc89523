#!/usr/bin/env python3
"""upstream.py — the upstream test_wasip2_http relays requests to: an HTTP/1.1
server on 127.0.0.1 (a free port, printed on stdout) that reads a request body
sent with content-length or chunked (with trailers) and answers 201 with the
same body, chunked, in two pieces, followed by the trailers
x-upstream-trailer: ok and x-got-trailers: NAME=VALUE;... (the request's
trailers). /slow waits 3 s before answering. Stops when stdin closes."""
import http.server
import socketserver
import sys
import threading
import time


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def read_body(self):
        trailers = []
        if self.headers.get("transfer-encoding", "").lower() == "chunked":
            body = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    break
                body += self.rfile.read(size)
                self.rfile.readline()
            while True:
                line = self.rfile.readline().rstrip(b"\r\n")
                if not line:
                    break
                name, _, value = line.partition(b":")
                trailers.append(name.strip().decode() + "=" + value.strip().decode())
            return body, trailers
        return self.rfile.read(int(self.headers.get("content-length", "0"))), trailers

    def answer(self):
        body, trailers = self.read_body()
        if self.path == "/slow":
            time.sleep(3)
        self.send_response(201)
        self.send_header("transfer-encoding", "chunked")
        self.send_header("x-request-framing", self.headers.get("transfer-encoding", "length"))
        self.send_header("connection", "close")
        self.end_headers()
        half = len(body) // 2
        for piece in (body[:half], body[half:]):
            if piece:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
        self.wfile.write(b"0\r\nx-upstream-trailer: ok\r\nx-got-trailers: %s\r\n\r\n" % ";".join(trailers).encode())
        self.close_connection = True

    do_GET = answer
    do_POST = answer


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


server = Server(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
threading.Thread(target=server.serve_forever, daemon=True).start()
sys.stdin.read()  # until the test closes our stdin (or dies)
