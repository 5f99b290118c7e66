"""A real TLS terminator on 127.0.0.1 in front of a plain-http test server, and the
certificates to test TLS failures with (made by trustme: a CA and leaf certificates, since
rustls refuses a bare self-signed certificate as ``CaUsedAsEndEntity``).

The terminator is a small asyncio proxy on its own event loop in a daemon thread: it
completes the TLS handshake with the leaf certificate it was given, then copies bytes both
ways to the target port. A client that rejects the certificate never gets past the handshake.
"""

from __future__ import annotations

import asyncio
import datetime
import socket
import ssl
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import trustme

HOST = "127.0.0.1"
CHUNK = 256 * 1024


@dataclass(frozen=True)
class Certificates:
    """PEM files on disk: ``ca`` signed every leaf; ``wrong_ca`` signed none of them."""

    ca: str
    wrong_ca: str
    good: trustme.LeafCert
    expired: trustme.LeafCert
    mismatch: trustme.LeafCert

    @classmethod
    def make(cls, directory: Path) -> Certificates:
        ca, wrong_ca = trustme.CA(), trustme.CA()
        ca.cert_pem.write_to_path(str(directory / "ca.pem"))
        wrong_ca.cert_pem.write_to_path(str(directory / "wrong-ca.pem"))
        now = datetime.datetime.now(datetime.timezone.utc)
        return cls(
            ca=str(directory / "ca.pem"),
            wrong_ca=str(directory / "wrong-ca.pem"),
            # This machine's name too: https to a host that is not judged loopback.
            good=ca.issue_cert(HOST, "localhost", socket.gethostname()),
            expired=ca.issue_cert(
                HOST,
                "localhost",
                not_before=now - datetime.timedelta(days=30),
                not_after=now - datetime.timedelta(days=1),
            ),
            mismatch=ca.issue_cert("mismatch.example"),
        )


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copy until EOF or an error on either side, then close the writing side."""
    try:
        while data := await reader.read(CHUNK):
            writer.write(data)
            await writer.drain()
    except (OSError, ssl.SSLError):
        pass
    finally:
        writer.close()


class TlsTerminator:
    """TLS on ``HOST``:``port`` with `leaf`, forwarded in the clear to ``HOST``:`target_port`."""

    def __init__(self, target_port: int, leaf: trustme.LeafCert) -> None:
        self.target_port = target_port
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        leaf.configure_cert(self.context)
        self.loop = asyncio.new_event_loop()
        # Handshakes that clients abort (the point of most tests) are not errors here.
        self.loop.set_exception_handler(lambda loop, context: None)
        self.server: asyncio.AbstractServer | None = None
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    @property
    def port(self) -> int:
        assert self.server is not None
        return int(self.server.sockets[0].getsockname()[1])

    @property
    def url(self) -> str:
        return f"https://{HOST}:{self.port}"

    async def _handle(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        try:
            reader, writer = await asyncio.open_connection(HOST, self.target_port)
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(_pipe(client_reader, writer), _pipe(reader, client_writer))

    def start(self) -> TlsTerminator:
        self.thread.start()
        started = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._handle, HOST, 0, ssl=self.context), self.loop
        )
        self.server = started.result(timeout=10)
        return self

    def stop(self) -> None:
        async def close(server: Any) -> None:
            server.close()
            # Connections still being copied end here, on a running loop: left pending,
            # they were finalized later by the garbage collector, closing their writers
            # on a closed loop (an "exception ignored" warning in some later test).
            pipes = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in pipes:
                task.cancel()
            await asyncio.gather(*pipes, return_exceptions=True)

        if self.server is not None:
            asyncio.run_coroutine_threadsafe(close(self.server), self.loop).result(timeout=10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()
