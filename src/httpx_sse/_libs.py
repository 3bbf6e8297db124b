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
from typing import TYPE_CHECKING, Any, Callable, Dict, Tuple, Type, TypeVar, Union

import httpx

from ._exceptions import SSEError, StreamStalled

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
    request_type: Type[Any]
    decoding_error: Type[BaseException]
    read_timeout: Type[BaseException]
    sync_stream: Type[Any]
    async_stream: Type[Any]
    byte_stream: Type[Any]
    sse_error: Type[SSEError]
    #: The library's own version of one of our error classes (itself, for httpx).
    variant: Callable[[Type[SSEError]], Type[SSEError]]

    def error(self, cls: Type[E]) -> Type[E]:
        """``cls`` (an `SSEError` class), as this library's users catch it."""
        return self.variant(cls)  # type: ignore[return-value]

    def adopt(self, error: E) -> E:
        """The same error, as an instance of this library's version of its class."""
        if not isinstance(error, self.sse_error):
            error.__class__ = self.variant(type(error))  # type: ignore[assignment]
        return error


E = TypeVar("E", bound=SSEError)


def _library(module: Any, sse_error: Type[SSEError], variant: Callable[[Type[SSEError]], Type[SSEError]]) -> Library:
    return Library(
        name=module.__name__,
        retryable=(StreamStalled, module.NetworkError, module.TimeoutException, module.RemoteProtocolError),
        request_error=module.RequestError,
        request_type=module.Request,
        decoding_error=module.DecodingError,
        read_timeout=module.ReadTimeout,
        sync_stream=module.SyncByteStream,
        async_stream=module.AsyncByteStream,
        byte_stream=module.ByteStream,
        sse_error=sse_error,
        variant=variant,
    )


def _same(cls: Type[SSEError]) -> Type[SSEError]:
    return cls


HTTPX = _library(httpx, SSEError, _same)


@functools.cache
def _httpx2(module: Any) -> Library:
    # Our errors as httpx2 users catch them, as they catch httpx2's own: each keeps its
    # class (a StreamStalled is still one) and is also httpx2's TransportError.
    error = type("SSEError", (SSEError, module.TransportError), {"__module__": SSEError.__module__})

    made: Dict[Type[SSEError], Type[SSEError]] = {SSEError: error}

    def variant(cls: Type[SSEError]) -> Type[SSEError]:
        if issubclass(cls, error):
            return cls
        if cls not in made:
            extra = (module.ReadTimeout,) if issubclass(cls, StreamStalled) else ()
            made[cls] = type(cls.__name__, (cls, error, *extra), {"__module__": cls.__module__})
        return made[cls]

    return _library(module, error, variant)


def library_of(obj: object) -> Library:
    """The library a client, response or request comes from."""
    module = sys.modules.get("httpx2")
    if module is not None and isinstance(obj, (module.Client, module.AsyncClient, module.Response, module.Request)):
        return _httpx2(module)
    return HTTPX
