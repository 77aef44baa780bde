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


def copy_message(message: Any) -> Any:
    """A deep copy of a proto-plus message: what a server stores is never what a caller holds."""
    kind = type(message)
    return kind.deserialize(kind.serialize(message))


def unary(fn: Any, request: Any, serialize: Any) -> Any:
    """A unary RPC handler for `fn(request, context)`, `request` being its message class."""
    return grpc.unary_unary_rpc_method_handler(
        fn, request_deserializer=request.deserialize, response_serializer=serialize
    )


class GrpcFake:
    """Start and stop one fake gRPC service; subclasses give `handler()`."""

    address: str = ""
    _server: Any = None

    def handler(self) -> Any:
        raise NotImplementedError

    def start(self) -> str:
        self._server, self.address = start_grpc_server(self.handler())
        return self.address

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop(grace=None)
            self._server = None


def found(store: dict[str, Any], name: str, context: Any) -> Any:
    """The stored resource `name`, or NOT_FOUND as Google answers (hold the fake's lock)."""
    resource = store.get(name)
    if resource is None:
        context.abort(grpc.StatusCode.NOT_FOUND, f"{name} not found")
    return resource


def delete(store: dict[str, Any], name: str, context: Any) -> None:
    """Remove `name`, or NOT_FOUND (hold the fake's lock)."""
    if store.pop(name, None) is None:
        context.abort(grpc.StatusCode.NOT_FOUND, f"{name} not found")


def masked_update(current: Any, wanted: Any, paths: list[str]) -> Any:
    """Google's update mask: the listed top-level fields come from `wanted`; an empty mask
    replaces the whole resource; the name never changes."""
    updated = copy_message(current) if paths else copy_message(wanted)
    for path in paths:
        setattr(updated, path, getattr(wanted, path))
    updated.name = current.name
    return updated
