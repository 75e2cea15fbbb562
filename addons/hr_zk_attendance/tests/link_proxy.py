"""A loopback HTTP proxy that cuts the link on purpose (a branch's flaky uplink).

Each request to the proxied path takes the next action of its plan (then ``pass`` once the
plan is empty); requests to other paths pass (the relay's other channels, status and biometric
pages, call Odoo on their own schedule and must not take a fault meant for event pages):

* ``pass``: forward the request, forward the answer;
* ``cut_request``: forward the headers and half the body, then close both sides (the server
  sees a truncated request);
* ``cut_response``: forward the whole request, let the server answer (it has committed), then
  close the client's side without a byte of the answer (the client never learns it).
"""

import socket
import threading


def read_request(sock):
    """One HTTP request from a socket: (method, target, head, body), None if it closed
    before the headers ended. The body is exactly Content-Length bytes (fewer if cut)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _sep, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, target, _version = lines[0].split(" ", 2)
    length = 0
    for line in lines[1:]:
        key, _colon, value = line.partition(":")
        if key.strip().lower() == "content-length":
            length = int(value.strip())
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        rest += chunk
    return method, target, head, rest[:length]


def upstream_request(head, body):
    """The request as the client sent it, with ``Connection: close`` (one per request)."""
    lines = [line for line in head.decode("latin-1").split("\r\n")
             if not line.lower().startswith("connection:")]
    lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def read_all(sock):
    """Everything the peer sends until it closes (the answer to a Connection: close request)."""
    chunks = []
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


class LinkProxy:
    def __init__(self, target_port, path):
        self.target_port = target_port
        self.path = path
        self.plan = []
        self.log = []
        self.lock = threading.Lock()
        self.server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(16)
        self.port = self.server.getsockname()[1]
        self.closed = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def then(self, *actions):
        with self.lock:
            self.plan.extend(actions)

    def pending(self):
        with self.lock:
            return len(self.plan)

    def _serve(self):
        while not self.closed:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(client,), daemon=True).start()

    def _handle(self, client):
        upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=60)
        try:
            request = read_request(client)
            if request is None:
                return
            _method, target, head, body = request
            planned = target.split("?", 1)[0] == self.path
            action = "pass"
            if planned:
                with self.lock:
                    action = self.plan.pop(0) if self.plan else "pass"
            if action == "cut_request":
                raw = upstream_request(head, body[: len(body) // 2])
                upstream.sendall(raw)
                upstream.shutdown(socket.SHUT_WR)
                read_all(upstream)
            else:
                upstream.sendall(upstream_request(head, body))
                answer = read_all(upstream)
                if action == "pass":
                    client.sendall(answer)
            if planned:
                with self.lock:
                    self.log.append(action)
        finally:
            upstream.close()
            client.close()

    def close(self):
        self.closed = True
        self.server.close()
