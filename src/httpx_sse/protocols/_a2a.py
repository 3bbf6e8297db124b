"""The Agent2Agent protocol's streams: ``SendStreamingMessage`` and ``SubscribeToTask``
(v1.0), ``message/stream`` and ``tasks/resubscribe`` (v0.3), over JSON-RPC or HTTP+JSON."""

from __future__ import annotations

from typing import Any, Dict, Optional

import httpx

from .._exceptions import SSEError, StreamError
from .._lifecycle import StreamFailure
from .._models import ServerSentEvent
from ._base import Protocol, field, message_of, payload, rebuilt, request_json, text_of

#: The task states after which a stream ends: terminal, and interrupted (waiting on the client).
_ENDS = frozenset({"completed", "failed", "canceled", "rejected", "input-required", "auth-required"})
#: v0.3's ``kind`` values, as v1.0's member names.
_KINDS = {"task": "task", "message": "message", "status-update": "statusUpdate", "artifact-update": "artifactUpdate"}
#: What resubscribes to a task, for the method that streamed it.
_SUBSCRIBE = {"message/stream": "tasks/resubscribe", "tasks/resubscribe": "tasks/resubscribe"}


def _body(sse: ServerSentEvent) -> Dict[str, Any]:
    """The stream response: a JSON-RPC response's ``result``, or the HTTP+JSON event itself."""
    data = payload(sse)
    if "jsonrpc" in data:
        result = data.get("result")
        return result if isinstance(result, dict) else {}
    return data


def _kind(sse: ServerSentEvent) -> Optional[str]:
    """``task``, ``message``, ``statusUpdate`` or ``artifactUpdate``, in either version."""
    body = _body(sse)
    kind = body.get("kind")
    if isinstance(kind, str):
        return _KINDS.get(kind)
    for name in ("statusUpdate", "artifactUpdate", "task", "message"):
        if isinstance(body.get(name), dict):
            return name
    return None


def _member(sse: ServerSentEvent) -> Dict[str, Any]:
    """The object the event is about: v1.0 wraps it in a member, v0.3 is the object."""
    body = _body(sse)
    kind = _kind(sse)
    if kind is None or isinstance(body.get("kind"), str):
        return body
    inner = body[kind]
    return inner if isinstance(inner, dict) else {}


def _state(sse: ServerSentEvent) -> Optional[str]:
    """The task state, as v0.3 spells it (v1.0's ``TASK_STATE_INPUT_REQUIRED`` is ``input-required``)."""
    state = text_of(field(_member(sse), "status", "state"))
    if state is None:
        return None
    state = state.lower()
    if state.startswith("task_state_"):
        state = state[len("task_state_") :]
    return state.replace("_", "-")


def _until(sse: ServerSentEvent) -> bool:
    kind = _kind(sse)
    if kind == "message":
        return True  # an answer without a task: the only event of its stream
    if kind not in ("task", "statusUpdate"):
        return False
    return _member(sse).get("final") is True or _state(sse) in _ENDS


def _errors(sse: ServerSentEvent) -> Optional[StreamError]:
    error = payload(sse).get("error")
    if not isinstance(error, dict):
        return None
    code = error.get("code")
    text = message_of(error, "the agent answered with an error")
    return StreamError(f"{text} (error {code})" if code is not None else text, event=sse)


def _task_id(sse: ServerSentEvent) -> Optional[str]:
    member = _member(sse)
    if _kind(sse) == "task":
        return text_of(member.get("id"))
    return text_of(member.get("taskId"))


def _resume(failure: StreamFailure) -> Optional[httpx.Request]:
    """Subscribe to the task the stream was about, the way the request that opened it speaks."""
    request = failure.request
    if request is None:
        return None
    task = failure.cursor
    if task is None:
        raise SSEError(
            f"the A2A stream was cut ({failure.reason}) before it named its task: the message is not sent "
            "again (the agent may have taken it); nothing to subscribe to"
        )
    sent = request_json(request)
    method = field(sent, "method")
    if isinstance(method, str):  # JSON-RPC: the same endpoint, the matching method
        body = {
            "jsonrpc": "2.0",
            "id": sent.get("id", 1),
            "method": _SUBSCRIBE.get(method, "SubscribeToTask"),
            "params": {"id": task},
        }
        return rebuilt(request, "POST", request.url, json_body=body)
    path = request.url.path
    for tail in ("/message:stream", f"/tasks/{task}:subscribe"):
        if path.endswith(tail):  # HTTP+JSON: GET {base}/tasks/{id}:subscribe
            return rebuilt(request, "GET", request.url.copy_with(path=f"{path[: -len(tail)]}/tasks/{task}:subscribe"))
    raise SSEError(f"the A2A stream was cut ({failure.reason}) and its request is neither JSON-RPC nor HTTP+JSON")


A2A = Protocol("a2a", until=_until, errors=_errors, cursor=_task_id, resume=_resume, kind=_kind)
"""A2A streams, v1.0 and v0.3, over the JSON-RPC and the HTTP+JSON bindings.

Each event's data is a JSON-RPC response whose ``result`` is the stream response (or,
over HTTP+JSON, the stream response itself): a task, a message, a status update or an
artifact update, named by a member (v1.0: ``{"statusUpdate": {...}}``) or by ``kind``
(v0.3: ``"kind": "status-update"``). The stream ends at a message, or when the task
reaches a terminal state (completed, failed, canceled, rejected) or an interrupted one
(input-required, auth-required), or at v0.3's ``final: true``. A failed task ends the
stream as delivered (the task says why); a JSON-RPC error is the stream's failure (a
`StreamError`, not retryable).

The cursor is the task's id; a stream cut after it resumes by subscribing to the task:
``SubscribeToTask`` (v1.0) or ``tasks/resubscribe`` (after v0.3's ``message/stream``)
posted to the same endpoint, or ``GET .../tasks/{id}:subscribe`` over HTTP+JSON, with
the request's headers (``A2A-Version``, authorization). Cut before the task is named,
the message is not sent again. ``iter_parsed`` routes by ``task``, ``message``,
``statusUpdate``, ``artifactUpdate`` (v0.3's kinds included) and validates the whole data.
"""
