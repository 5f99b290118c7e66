"""A fault-injecting TCP proxy on 127.0.0.1, in front of a real test server.

Each accepted connection takes the next fault from a queue (then the default), so a test
says "the first connection gets a reset, the rest pass". Faults:

- ``"pass"``: forward both ways.
- ``"reset"``: read the request head, then reset the connection without an answer
  (a connection reset after the request was sent).
- ``"garbage"``: read the request head, answer bytes that are not HTTP, close.
- ``bytes``: read the request head, answer exactly these bytes, close (a lying
  Content-Length, an unparseable 200, ...).

``sent`` holds every byte clients sent through "pass" connections (the requests as they
left the client, for tests that look at headers on the wire).

``hang_after(n)`` makes the connections open once clients have sent ``n`` bytes through the
proxy hang (nothing more forwarded either way, as a server that stopped answering them; in the
middle of an upload, whatever the timing) while new connections still pass.
``hang_request(prefix)`` hangs the connection that sends a request starting with ``prefix``
(say, one upload's Complete), without forwarding it. ``hung`` is set when either happened.

``outage(seconds)`` stops listening (connections are refused) and resets every open
connection, then listens again on the same port: a short server outage. ``outage_after(n,
seconds)`` starts one once clients have sent ``n`` more bytes (in the middle of an upload,
whatever the timing); ``outage_over`` is set when an outage has ended.

Loopback only; every socket has a timeout and every loop ends with the proxy.
"""

from __future__ import annotations

import functools
import socket
import struct
import threading
import time
from collections import deque
from collections.abc import Callable

Fault = str | bytes
HOST = "127.0.0.1"
IDLE_TIMEOUT = 30.0


def _reset(sock: socket.socket) -> None:
    """Close with RST rather than FIN. The shutdown first wakes a thread blocked in recv()
    on it: a bare close() from another thread would wait for that recv to time out."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()


def _read_head(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data and len(data) < 1 << 20:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


class FaultProxy:
    def __init__(self, upstream_port: int, default: Fault = "pass", delay: float = 0.0) -> None:
        self.upstream = (HOST, upstream_port)
        # "pass" connections hold each piece of the server's answer this long: a server far
        # away, for tests about concurrency rather than about the server's own speed.
        self.delay = delay
        self.default = default
        self.queue: deque[Fault] = deque()
        self.connections = 0
        self._hang_upto = 0  # connections numbered up to this hang (see hang_after)
        self._hang_at_bytes: int | None = None
        self._outage_at_bytes: tuple[int, float] | None = None  # (bytes sent, seconds)
        self.outage_over = threading.Event()
        self._hang_prefix: bytes | None = None
        self._hung_alone: set[int] = set()  # connections hung by hang_request
        self.hung = threading.Event()
        self.sent = bytearray()
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._listener = self._listen(0)
        self.port = self._listener.getsockname()[1]
        self.url = f"http://{HOST}:{self.port}"
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)
        self._thread.start()

    def _listen(self, port: int) -> socket.socket:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((HOST, port))
        sock.listen(64)
        sock.settimeout(0.1)
        return sock

    def then(self, *faults: Fault) -> FaultProxy:
        """Queue faults for the next connections."""
        self.queue.extend(faults)
        return self

    def hang_after(self, nbytes: int) -> None:
        """Once clients have sent `nbytes` through the proxy, stop forwarding on every
        connection open then; later ones still pass."""
        with self._lock:
            self._hang_at_bytes = len(self.sent) + nbytes

    def outage_after(self, nbytes: int, seconds: float) -> None:
        """Once clients have sent `nbytes` more through the proxy, an outage of `seconds`."""
        with self._lock:
            self._outage_at_bytes = (len(self.sent) + nbytes, seconds)

    def hang_request(self, prefix: bytes) -> None:
        """Hang the connection that sends a request starting with `prefix`, from that request on."""
        with self._lock:
            self._hang_prefix = prefix

    def _client_sent(self, number: int, data: bytes) -> None:
        with self._lock:
            self.sent.extend(data)
            if self._hang_at_bytes is not None and len(self.sent) >= self._hang_at_bytes:
                self._hang_now()
            if self._outage_at_bytes is not None and len(self.sent) >= self._outage_at_bytes[0]:
                seconds = self._outage_at_bytes[1]
                self._outage_at_bytes = None
                # Cut here and now, before this chunk is forwarded: a thread started to do it
                # waited for the GIL while the pumps forwarded the rest of a fast upload.
                self._cut()
                timer = threading.Timer(seconds, self._listen_again)
                timer.daemon = True
                timer.start()
            if self._hang_prefix is not None and data.startswith(self._hang_prefix):
                self._hung_alone.add(number)
                self.hung.set()

    def _hang_now(self) -> None:
        self._hang_upto = self.connections
        self._hang_at_bytes = None
        self.hung.set()

    def _hung(self, number: int) -> bool:
        hung = number <= self._hang_upto or number in self._hung_alone
        return hung and not self._stopped.is_set()

    def outage(self, seconds: float) -> None:
        """Refuse connections and reset the open ones for `seconds`, then serve again."""
        with self._lock:
            self._cut()
        time.sleep(seconds)
        self._listen_again()

    def _cut(self) -> None:
        """Stop listening and reset every open connection (the lock held)."""
        self._listener.close()
        for sock in list(self._open):
            _reset(sock)
        self._open.clear()

    def _listen_again(self) -> None:
        with self._lock:
            if self._stopped.is_set():
                return
            self._listener = self._listen(self.port)
        self.outage_over.set()

    def close(self) -> None:
        self._stopped.set()
        with self._lock:
            self._listener.close()
            for sock in list(self._open):
                _reset(sock)
        self._thread.join(timeout=5)

    def __enter__(self) -> FaultProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _accept_loop(self) -> None:
        while not self._stopped.is_set():
            with self._lock:
                listener = self._listener
            try:
                client, _ = listener.accept()
            except (TimeoutError, OSError):
                time.sleep(0.01)
                continue
            with self._lock:
                self.connections += 1
                fault = self.queue.popleft() if self.queue else self.default
                self._open.add(client)
                number = self.connections
            threading.Thread(target=self._serve, args=(client, fault, number), daemon=True).start()

    def _serve(self, client: socket.socket, fault: Fault, number: int) -> None:
        try:
            # In the try: an outage may have reset (closed) it already.
            client.settimeout(IDLE_TIMEOUT)
            if fault == "pass":
                self._forward(client, number)
                return
            _read_head(client)
            if fault == "reset":
                _reset(client)
            elif fault == "garbage":
                client.sendall(b"this is not HTTP at all\r\n\r\n")
            else:
                assert isinstance(fault, bytes)
                client.sendall(fault)
        except OSError:
            pass
        finally:
            with self._lock:
                self._open.discard(client)
            client.close()

    def _forward(self, client: socket.socket, number: int) -> None:
        try:
            server = socket.create_connection(self.upstream, timeout=IDLE_TIMEOUT)
        except OSError:
            _reset(client)
            return
        with self._lock:
            self._open.add(server)
        hung = functools.partial(self._hung, number)
        pump = threading.Thread(target=self._pump, args=(server, client, hung, self.delay), daemon=True)
        pump.start()
        self._pump(client, server, hung, on_data=functools.partial(self._client_sent, number))
        pump.join(timeout=IDLE_TIMEOUT)
        with self._lock:
            self._open.discard(server)
        server.close()

    @staticmethod
    def _pump(
        src: socket.socket,
        dst: socket.socket,
        hung: Callable[[], bool],
        delay: float = 0.0,
        on_data: Callable[[bytes], None] | None = None,
    ) -> None:
        try:
            while True:
                data = src.recv(1 << 16)
                if not data:
                    dst.shutdown(socket.SHUT_WR)
                    return
                if on_data is not None:
                    on_data(data)
                if delay:
                    time.sleep(delay)
                while hung():
                    time.sleep(0.01)
                dst.sendall(data)
        except OSError:
            for sock in (src, dst):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
