"""``resume=``: continuing a stream through another request than the one that opened it.

OpenAI's Responses API resumes with ``GET /responses/{id}?starting_after=N``, A2A by
subscribing to the task, others through a ``Location`` to join. After a failure, once a
stream opened, the factory is asked for the next request; a 404, 409 or 410 to that
request means the server no longer holds the stream (`ResumeExpired`).
"""

from __future__ import annotations

from typing import Any, Callable, Optional

import httpx

from ._exceptions import ResumeExpired, SSEError
from ._libs import Library
from ._lifecycle import Lifecycle, StreamFailure
from ._request import last_event_id_header
from ._response import add_request_headers

#: What a resume request may be answered when the server no longer holds the stream.
EXPIRED = frozenset({404, 409, 410})


class Resumption:
    def __init__(self, factory: Optional[Callable[[StreamFailure], Any]], lib: Library, life: Lifecycle) -> None:
        self.factory = factory
        self._lib = lib
        self._life = life
        self._next: Optional[httpx.Request] = None  # what the factory gave, for the next connection
        self.resumed = False  # the request last sent came from the factory

    def wanted(self) -> bool:
        """Whether the next connection asks the factory for its request (once a stream opened)."""
        return self.factory is not None and self._life.opened > 0

    def take(self, request: object, failure: StreamFailure, last_event_id: str) -> None:
        """What the factory returned: the next request, or ``None`` to send the caller's again if safe."""
        if request is None:
            if self._life.replay_blocked(last_event_id):
                raise self._life.replay_refused(f"{failure.reason}; resume= returned None", None) from failure.error
            return
        if not isinstance(request, self._lib.request_type):
            raise TypeError(
                "resume= must return a request made with client.build_request(...), or None, not "
                f"{type(request).__name__}"
            )
        headers = request.headers
        add_request_headers(headers)
        if "last-event-id" not in headers:
            value = last_event_id_header(last_event_id)
            if value is not None:
                headers["Last-Event-ID"] = value.decode("utf-8")
        self._next = request

    def next_request(self) -> Optional[httpx.Request]:
        """The factory's request for this connection, if it gave one (then it is used once)."""
        request, self._next = self._next, None
        self.resumed = request is not None
        return request

    def check(self, error: SSEError) -> None:
        """A refused response: `ResumeExpired` when it answers a resume request with 404, 409 or 410."""
        response = error.response
        if self.resumed and response is not None and response.status_code in EXPIRED:
            expired = self._lib.error(ResumeExpired)(
                f"the server no longer holds the stream to resume: {error}", response=response
            )
            raise expired from error
