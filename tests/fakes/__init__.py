"""Fake servers on 127.0.0.1 that the real Google Cloud clients talk to in tests."""

from __future__ import annotations

from concurrent import futures
from typing import Any

import grpc


def start_grpc_server(*handlers: Any) -> tuple[grpc.Server, str]:
    """Serve generic RPC handlers on a free loopback port; returns the server and its address."""
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    server.add_generic_rpc_handlers(handlers)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    return server, f"127.0.0.1:{port}"
