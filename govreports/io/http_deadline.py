"""A wall-clock deadline for one whole HTTP exchange: connecting, the request, headers and body.

Why: httpx's timeouts apply to each socket operation, so a server that sends its headers or body
one byte a second never trips them and holds a fetch for as long as it likes; httpx has no limit
on a whole response. Checking the clock between body chunks misses the headers and a slow chunk.
So the clients `fetch.make_client` builds connect through a network backend whose streams cap
every socket read and write at the time left before the deadline set by `deadline(...)` around a
request: the trickle ends at the deadline, whatever part of the response it is in. Written here
because neither httpx nor httpcore offers it; httpcore's pluggable `NetworkBackend` is the hook.
"""

from __future__ import annotations

import contextlib
import contextvars
import ssl
import time
import typing
from collections.abc import Iterator

import httpcore
import httpx

_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar("govreports_http_deadline", default=None)


class DeadlineExceeded(httpcore.ReadTimeout):
    """The exchange ran past its deadline (httpx reports it as a ReadTimeout)."""


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[float]:
    """Within the block, socket operations of deadline-aware clients end `seconds` from now.

    Yields the deadline on `time.monotonic()`'s clock.
    """
    end = time.monotonic() + seconds
    token = _DEADLINE.set(end)
    try:
        yield end
    finally:
        _DEADLINE.reset(token)


def _capped(timeout: float | None) -> float | None:
    end = _DEADLINE.get()
    if end is None:
        return timeout
    left = end - time.monotonic()
    if left <= 0:
        raise DeadlineExceeded("deadline exceeded")
    return left if timeout is None else min(timeout, left)


class _Stream(httpcore.NetworkStream):
    """A socket stream whose every operation waits at most until the deadline."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _capped(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _capped(timeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        return _Stream(self._inner.start_tls(ssl_context, server_hostname, _capped(timeout)))

    def get_extra_info(self, info: str) -> typing.Any:
        return self._inner.get_extra_info(info)


class _Backend(httpcore.NetworkBackend):
    """httpcore's own sync backend, with deadline-capped streams."""

    def __init__(self) -> None:
        self._inner = httpcore.SyncBackend()

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: typing.Iterable[typing.Any] | None = None) -> httpcore.NetworkStream:
        return _Stream(self._inner.connect_tcp(host, port, _capped(timeout), local_address, socket_options))

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: typing.Iterable[typing.Any] | None = None) -> httpcore.NetworkStream:
        return _Stream(self._inner.connect_unix_socket(path, _capped(timeout), socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def transport() -> httpx.HTTPTransport:
    """An httpx transport (direct connections, no proxy from the environment) honouring `deadline`.

    httpx's HTTPTransport takes no network backend, so its connection pool is replaced by an
    equivalent one (httpx's default limits) that has ours; httpx and httpcore are pinned in the
    lock files and tests/test_fetch.py checks a trickle ends at the deadline.
    """
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=5.0)
    result = httpx.HTTPTransport(trust_env=False, limits=limits)
    result._pool = httpcore.ConnectionPool(  # the only way to give httpx a network backend
        ssl_context=httpx.create_ssl_context(trust_env=False), max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections, keepalive_expiry=limits.keepalive_expiry,
        network_backend=_Backend())
    return result
