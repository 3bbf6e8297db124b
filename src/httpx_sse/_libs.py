"""The HTTP client libraries a reader can be handed: httpx, and pydantic's httpx2.

They share an API but not their classes. `Library` gathers what the readers need
to tell apart (exceptions to retry, stream types, the `SSEError` to raise), so the
rest of the package is written once. httpx2 is never imported here: it is looked up
in ``sys.modules``, where it is when the caller passed one of its objects.
"""

from __future__ import annotations

import functools
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Tuple, Type, Union

import httpx

from ._exceptions import SSEError
from ._lifecycle import IdleTimeout

if TYPE_CHECKING:  # what a user's type checker sees: either library's objects
    import httpx2  # type: ignore[import-not-found,unused-ignore]

    AnyResponse = Union[httpx.Response, httpx2.Response]
    AnyClient = Union[httpx.Client, httpx2.Client]
    AnyAsyncClient = Union[httpx.AsyncClient, httpx2.AsyncClient]
else:
    AnyResponse = httpx.Response
    AnyClient = httpx.Client
    AnyAsyncClient = httpx.AsyncClient


@dataclass(frozen=True)
class Library:
    name: str
    #: What a dropped connection may raise; anything else is not the network's fault.
    retryable: Tuple[Type[BaseException], ...]
    request_error: Type[BaseException]
    decoding_error: Type[BaseException]
    read_timeout: Type[BaseException]
    sync_stream: Type[Any]
    async_stream: Type[Any]
    byte_stream: Type[Any]
    sse_error: Type[SSEError]

    def adopt(self, error: SSEError) -> SSEError:
        """The same error, as an instance of this library's `SSEError`."""
        if not isinstance(error, self.sse_error):
            error.__class__ = self.sse_error
        return error


def _library(module: Any, sse_error: Type[SSEError]) -> Library:
    return Library(
        name=module.__name__,
        retryable=(IdleTimeout, module.NetworkError, module.TimeoutException, module.RemoteProtocolError),
        request_error=module.RequestError,
        decoding_error=module.DecodingError,
        read_timeout=module.ReadTimeout,
        sync_stream=module.SyncByteStream,
        async_stream=module.AsyncByteStream,
        byte_stream=module.ByteStream,
        sse_error=sse_error,
    )


HTTPX = _library(httpx, SSEError)


@functools.cache
def _httpx2(module: Any) -> Library:
    # An SSEError of ours that httpx2 users catch as they catch httpx2's own errors.
    error = type("SSEError", (SSEError, module.TransportError), {"__module__": SSEError.__module__})
    return _library(module, error)


def library_of(obj: object) -> Library:
    """The library a client, response or request comes from."""
    module = sys.modules.get("httpx2")
    if module is not None and isinstance(obj, (module.Client, module.AsyncClient, module.Response, module.Request)):
        return _httpx2(module)
    return HTTPX
