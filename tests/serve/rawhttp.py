"""rawhttp.py — the `wrun serve` tests' raw-socket HTTP/1.1 client, for what
curl cannot show: when each byte arrives, chunk framing and trailer sections,
pipelining, malformed requests, a client that stops reading. tests/serve/lib.sh
puts this directory on PYTHONPATH, so the scripts' python3 can `import rawhttp`;
`python3 rawhttp.py PORT BYTES` (lib.sh's http_raw) sends BYTES, with backslash
escapes, on a new connection and prints the answer until the server closes.
Every socket has a timeout: no wait is unbounded."""
import socket
import sys
import time


def connect(port, timeout=30):
    return socket.create_connection(("127.0.0.1", int(port)), timeout=timeout)


def send(port, raw, timeout=30):
    """A new connection with the bytes `raw` sent on it."""
    s = connect(port, timeout)
    s.sendall(raw)
    return s


def request(port, path, close=True, timeout=30, headers=b""):
    """A GET of `path` (HTTP/1.1; Connection: close unless `close` is false;
    `headers`: more header lines, each ending in CRLF)."""
    return send(port, b"GET %s HTTP/1.1\r\nHost: x\r\n%s%s\r\n" %
                (path.encode(), headers, b"Connection: close\r\n" if close else b""), timeout)


def read_to_close(s):
    """Everything the server sends until it closes."""
    data = b""
    while True:
        c = s.recv(65536)
        if not c:
            return data
        data += c


def timeline(port, path, mark=None, headers=b"", timeout=30):
    """[(seconds, bytes so far)] of a GET until the server closes; `mark`: a
    file made once the request is sent."""
    s = request(port, path, headers=headers, timeout=timeout)
    if mark:
        open(mark, "w").close()
    t0, data, marks = time.time(), b"", []
    while True:
        c = s.recv(65536)
        if not c:
            return marks
        data += c
        marks.append((time.time() - t0, data))


def when(marks, needle):
    """When `needle` had arrived in a timeline, or None."""
    for t, d in marks:
        if needle in d:
            return t
    return None


def read_until(s, data, needle):
    """Reads from `s` onto `data` until `needle` is in it (None: never), the
    server closes or the socket's timeout passes; returns the bytes so far."""
    while needle is None or needle not in data:
        try:
            c = s.recv(65536)
        except socket.timeout:
            return data
        if not c:
            return data
        data += c
    return data


def dechunk(raw):
    """(head, body, trailer lines) of a chunked response as sent; body is
    None when it is cut short (no last chunk) or the framing is bad."""
    end = raw.find(b"\r\n\r\n")
    head, at, out = raw[:end], end + 4, []
    while True:
        eol = raw.find(b"\r\n", at)
        if eol < 0:
            return head, None, []
        try:
            n = int(raw[at:eol].split(b";")[0], 16)
        except ValueError:
            return head, None, []
        if n == 0:
            rest = raw[eol + 2:]
            if rest != b"\r\n" and not rest.endswith(b"\r\n\r\n"):  # no end of the trailer section
                return head, None, []
            return head, b"".join(out), [line for line in rest.split(b"\r\n") if line]
        if raw[eol + 2 + n:eol + 2 + n + 2] != b"\r\n":
            return head, None, []
        out.append(raw[eol + 2:eol + 2 + n])
        at = eol + 2 + n + 2


def read_response(f):
    """The next response on a keep-alive connection (`f`: its makefile("rb")):
    (status line, {lowercase name: value}, body)."""
    line = f.readline()
    headers = {}
    while True:
        h = f.readline()
        if h in (b"\r\n", b""):
            break
        k, _, v = h.partition(b":")
        headers[k.strip().lower()] = v.strip()
    body = b""
    if b"content-length" in headers:
        body = f.read(int(headers[b"content-length"]))
    elif headers.get(b"transfer-encoding", b"").lower() == b"chunked":
        while True:
            size = int(f.readline().split(b";")[0].strip(), 16)
            if size == 0:
                while f.readline() not in (b"\r\n", b""):  # the trailer section
                    pass
                break
            body += f.read(size + 2)[:size]
    return line, headers, body


if __name__ == "__main__":
    # what arrived is printed also when the server keeps the connection open
    # (then after the timeout)
    conn = send(sys.argv[1], sys.argv[2].encode().decode("unicode_escape").encode("latin-1"), timeout=10)
    sys.stdout.buffer.write(read_until(conn, b"", None))
