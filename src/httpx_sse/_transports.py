"""httpx transports that make any client ask for event streams and refuse anything else.

The original README's way: ``httpx.Client(transport=SSETransport())``. They wrap a
parent transport, so proxies, HTTP/2 and retries configured there still apply.
"""

from __future__ import annotations

from typing import Optional

import httpx

from ._exceptions import SSEError, describe_bad_response
from ._response import Verdict, add_request_headers, aread_body_start, classify, read_body_start

__all__ = ["AsyncSSETransport", "SSETransport"]


def _prepare(request: httpx.Request) -> None:
    # The client fills in "Accept: */*" by default: that is no choice of the caller's.
    add_request_headers(request.headers, accept_wildcard_is_unset=True)


def _is_acceptable(response: httpx.Response, request: httpx.Request) -> bool:
    """A stream, a 204, or a response the client may act on before any reader sees it.

    A redirect (followed with ``follow_redirects=True``) and an auth challenge (answered
    by ``auth=``, as DigestAuth does) are the client's to handle; one it does not handle
    reaches the reader, which refuses it there.
    """
    response.request = request
    if classify(response) in (Verdict.STREAM, Verdict.NO_CONTENT):
        return True
    status = response.status_code
    return (
        response.has_redirect_location
        or (status == 401 and "www-authenticate" in response.headers)
        or (status == 407 and "proxy-authenticate" in response.headers)
    )


class SSETransport(httpx.BaseTransport):
    """Send every request as an event-stream request; raise `SSEError` for other responses.

    ```python
    client = httpx.Client(transport=SSETransport())
    ```

    A ``204 No Content`` passes through (reading it yields no events). Any other
    response that is not ``text/event-stream`` is closed, then refused.
    """

    def __init__(self, parent: Optional[httpx.BaseTransport] = None) -> None:
        self.parent = parent if parent is not None else httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        _prepare(request)
        response = self.parent.handle_request(request)
        if _is_acceptable(response, request):
            return response
        try:
            body_start = read_body_start(response.iter_bytes())
        finally:
            response.close()
        raise SSEError(describe_bad_response(response, body_start), response=response)

    def close(self) -> None:
        self.parent.close()


class AsyncSSETransport(httpx.AsyncBaseTransport):
    """The async twin of `SSETransport`.

    ```python
    client = httpx.AsyncClient(transport=AsyncSSETransport())
    ```
    """

    def __init__(self, parent: Optional[httpx.AsyncBaseTransport] = None) -> None:
        self.parent = parent if parent is not None else httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        _prepare(request)
        response = await self.parent.handle_async_request(request)
        if _is_acceptable(response, request):
            return response
        try:
            body_start = await aread_body_start(response.aiter_bytes())
        finally:
            await response.aclose()
        raise SSEError(describe_bad_response(response, body_start), response=response)

    async def aclose(self) -> None:
        await self.parent.aclose()
