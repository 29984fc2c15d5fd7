"""A stand-in for a ClamAV daemon where none runs: clamd's own INSTREAM and PING protocol over
TCP, with a signature list of one (the EICAR test file, anywhere in the stream)."""

from __future__ import annotations

import socketserver
import struct
import threading
from typing import Self

# Assembled, so that this source file is not itself the test file to a scanner.
EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


class _Handler(socketserver.StreamRequestHandler):
    server: FakeClamd  # type: ignore[assignment]

    def handle(self) -> None:
        command = b""
        while not command.endswith(b"\0"):
            byte = self.rfile.read(1)
            if not byte:
                return
            command += byte
        if command == b"zPING\0":
            self.wfile.write(b"PONG\0")
            return
        if command != b"zINSTREAM\0":
            self.wfile.write(b"UNKNOWN COMMAND\0")
            return
        content = bytearray()
        while True:
            (length,) = struct.unpack(">I", self.rfile.read(4))
            if length == 0:
                break
            content += self.rfile.read(length)
        self.server.scanned += 1
        if self.server.mode == "silent":
            return  # the connection closes without a verdict, as a crashing daemon's does
        found = EICAR in content
        self.wfile.write(b"stream: Eicar-Test-Signature FOUND\0" if found else b"stream: OK\0")


class FakeClamd(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, mode: str = "scan") -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.mode = mode
        self.scanned = 0

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"tcp://{host!s}:{port}"

    def __enter__(self) -> Self:
        threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()
