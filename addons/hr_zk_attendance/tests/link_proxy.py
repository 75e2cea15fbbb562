"""A loopback HTTP proxy that cuts the link on purpose (a branch's flaky uplink).

Each connection takes the next action of its plan (then ``pass`` once the plan is empty):

* ``pass``: forward the request, forward the answer;
* ``cut_request``: forward the headers and half the body, then close both sides (the server
  sees a truncated request);
* ``cut_response``: forward the whole request, let the server answer (it has committed), then
  close the client's side without a byte of the answer (the client never learns it).
"""

import socket
import threading


def _read_request(sock):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


def _read_all(sock):
    data = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk


class LinkProxy:
    def __init__(self, target_port):
        self.target_port = target_port
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
        with self.lock:
            action = self.plan.pop(0) if self.plan else "pass"
        upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=60)
        try:
            request = _read_request(client)
            # One request per connection: the answer ends when the server closes.
            request = request.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n", 1)
            if action == "cut_request":
                head, _, body = request.partition(b"\r\n\r\n")
                upstream.sendall(head + b"\r\n\r\n" + body[: len(body) // 2])
                upstream.shutdown(socket.SHUT_WR)
                _read_all(upstream)
            else:
                upstream.sendall(request)
                answer = _read_all(upstream)
                if action == "pass":
                    client.sendall(answer)
            with self.lock:
                self.log.append(action)
        finally:
            upstream.close()
            client.close()

    def close(self):
        self.closed = True
        self.server.close()
