"""The types a user's checker sees: they follow the client library in use, httpx or httpx2.

Neither library is named here: a client is anything whose ``send`` returns a response, and
the response type it returns is what an `EventSource` hands back as ``.response``. So the
types are complete whether or not httpx2 is installed, and an httpx2 user's code gets
httpx2's ``Response`` back, not httpx's.
"""

from __future__ import annotations

import typing
from typing import TYPE_CHECKING, Any, Iterator, Protocol

import httpx

if TYPE_CHECKING:
    from typing_extensions import TypeVar
else:

    def TypeVar(name: str, *, default: object = None, covariant: bool = False) -> object:
        # A default for a type variable (PEP 696) is for checkers; Python before 3.13 has none.
        return typing.TypeVar(name, covariant=covariant)


#: The response type of a stream: httpx's ``Response`` unless the client says otherwise
#: (a bare ``EventSource`` annotation means ``EventSource[httpx.Response]``, as in 0.4).
ResponseT = TypeVar("ResponseT", default=httpx.Response)
ResponseT_co = TypeVar("ResponseT_co", covariant=True, default=httpx.Response)


class Client(Protocol[ResponseT_co]):
    """A client that sends requests and returns its own responses: httpx's or httpx2's ``Client``."""

    def send(self, request: Any, *, stream: bool = ...) -> ResponseT_co: ...


class AsyncClient(Protocol[ResponseT_co]):
    """The async twin of `Client`: httpx's or httpx2's ``AsyncClient``."""

    async def send(self, request: Any, *, stream: bool = ...) -> ResponseT_co: ...


class Response(Protocol):
    """A streamed response, httpx's or httpx2's: what the readers take."""

    @property
    def status_code(self) -> int: ...

    @property
    def headers(self) -> Any: ...

    def iter_bytes(self, chunk_size: Any = ...) -> Iterator[bytes]: ...
