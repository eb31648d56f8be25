"""A threaded werkzeug server served from a daemon thread (shared by the simulators)."""

from __future__ import annotations

import threading
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server


class QuietHandler(WSGIRequestHandler):
    """No access log line per request (tests make thousands); errors are still logged."""

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class BackgroundServer:
    """``make_server(threaded=True)`` on ``host:port`` (0 = any free port), started in a daemon
    thread by :meth:`start` or in the foreground by :meth:`serve_forever`."""

    def __init__(
        self,
        app: Any,
        host: str = "127.0.0.1",
        port: int = 0,
        handler: type[WSGIRequestHandler] = QuietHandler,
    ) -> None:
        self.server: BaseWSGIServer = make_server(
            host, port, app, threaded=True, request_handler=handler
        )
        self.thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self.server.server_port

    def start(self, name: str | None = None) -> BackgroundServer:
        self.thread = threading.Thread(
            target=self.server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=name,
            daemon=True,
        )
        self.thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread until shut down, then close the socket."""
        try:
            self.server.serve_forever()
        finally:
            self.server.server_close()

    def stop(self, timeout: float = 5.0) -> None:
        self.server.shutdown()
        self.server.server_close()
        if self.thread is not None:
            self.thread.join(timeout=timeout)
            self.thread = None
