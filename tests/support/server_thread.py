"""The real app served by uvicorn on a free loopback port, in a background thread of the test
process: for tests that need real HTTP (the desktop's ApiClient) but share the app's context
(a fixed clock, direct seeding)."""

from __future__ import annotations

import threading
import time

import uvicorn

from tests.support.server_process import free_port


class InThreadServer:
    def __init__(self, app) -> None:  # type: ignore[no-untyped-def]
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                limit_concurrency=200, timeout_keep_alive=30)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> InThreadServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the test server did not start within 10 s")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
