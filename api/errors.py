"""The one place exceptions become HTTP responses.

=======================================  ======  ====================
exception                                status  ``error``
=======================================  ======  ====================
NotAuthenticated                         401     ``unauthenticated``
Forbidden                                403     ``forbidden``
AccessDenied (every refused access)      403     ``access_denied``
NotFound                                 404     ``not_found``
ConflictError                            409     ``conflict``
RuleError, BadRecordError                422     ``rule_violation``
request validation                       422     ``invalid_request``
AuditWriteError                          503     ``audit_unavailable``
anything else (DecisionFailed too)       500     ``internal``
=======================================  ======  ====================

Bodies are :class:`ErrorBody`. Validation errors list where the problem is
(``loc``) and what is wrong, never the submitted value (FastAPI's default
body echoes the input, which may be an ID number or a token). A ``loc``
element that is not a name the API defines (a key the client chose: an
unexpected field, a record's key) is shown as ``"<key>"``, since a key can
be a value too.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from desens.consent.errors import (
    AccessDenied,
    AuditWriteError,
    ConflictError,
    Forbidden,
    NotAuthenticated,
    NotFound,
    RuleError,
)
from desens.errors import BadRecordError, type_names

__all__ = [
    "ACCESS_DENIED_BODY",
    "CHOSEN_KEY",
    "ErrorBody",
    "FieldProblem",
    "errors",
    "install_handlers",
    "safe_loc",
]

log = logging.getLogger("desens.api")


class FieldProblem(BaseModel):
    """One invalid part of a request (never the value)."""

    loc: list[str | int]
    msg: str
    type: str


class ErrorBody(BaseModel):
    """The body of every error response."""

    error: str = Field(examples=["access_denied"])
    message: str = Field(examples=["access denied"])
    problems: list[FieldProblem] | None = None


_TABLE: list[tuple[type[Exception], int, str]] = [
    (NotAuthenticated, 401, "unauthenticated"),
    (Forbidden, 403, "forbidden"),
    (AccessDenied, 403, "access_denied"),
    (NotFound, 404, "not_found"),
    (ConflictError, 409, "conflict"),
    (RuleError, 422, "rule_violation"),
    (BadRecordError, 422, "rule_violation"),
    (AuditWriteError, 503, "audit_unavailable"),
]

#: The one body every refused access gets, whatever the reason.
ACCESS_DENIED_BODY = {"error": "access_denied", "message": "access denied"}

_EXAMPLES: dict[int, dict[str, Any]] = {
    400: {"error": "bad_request", "message": "the request could not be read"},
    401: {"error": "unauthenticated", "message": "the API key is not valid"},
    403: {"error": "forbidden", "message": "this route is for the admin role"},
    404: {"error": "not_found", "message": "no dataset with id 0f3c…"},
    409: {"error": "conflict", "message": "consent 0f3c… is no longer active"},
    422: {
        "error": "invalid_request",
        "message": "the request does not match the schema",
        "problems": [{"loc": ["body", "expires_at"], "msg": "Field required", "type": "missing"}],
    },
    503: {"error": "audit_unavailable", "message": "the audit log could not be written"},
}


def errors(*statuses: int, denied: bool = False) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for the error statuses a route can return."""
    out: dict[int | str, dict[str, Any]] = {}
    for status in (*statuses, 422, 500):
        example = _EXAMPLES.get(status, {"error": "internal", "message": "internal error"})
        if status == 403 and denied:
            example = ACCESS_DENIED_BODY
        out[status] = {
            "model": ErrorBody,
            "content": {"application/json": {"example": example}},
        }
    return out


def _body(error: str, message: str, problems: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"error": error, "message": message}
    if problems is not None:
        body["problems"] = problems
    return body


#: What a client-chosen key is shown as in a ``loc``.
CHOSEN_KEY = "<key>"

_LOC_ROOTS = frozenset({"body", "query", "path", "header", "cookie"})


def _defined_names(schema: Any) -> set[str]:
    # Every property and parameter name of the OpenAPI document.
    names: set[str] = set()
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            props = node.get("properties")
            if isinstance(props, dict):
                names.update(k for k in props if isinstance(k, str))
            if isinstance(node.get("in"), str) and isinstance(node.get("name"), str):
                names.add(node["name"])
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return names


def safe_loc(loc: Any, defined: set[str] | frozenset[str]) -> list[str | int]:
    """``loc`` with every string the API does not define replaced by ``"<key>"``."""
    out: list[str | int] = []
    for i, part in enumerate(loc or ()):
        index = isinstance(part, int) and not isinstance(part, bool)
        named = isinstance(part, str) and (part in defined or (i == 0 and part in _LOC_ROOTS))
        out.append(part if index or named else CHOSEN_KEY)
    return out


class _Internal:
    """Anything no handler took becomes a JSON 500 here, logged by type only.

    An exception's text may quote data. A plain ASGI wrapper, not an
    ``Exception`` handler, which Starlette's ServerErrorMiddleware re-raises
    after answering (the server would then log the traceback and every
    message of the chain), and not an HTTP middleware, which costs every
    request a task.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except Exception as exc:
            log.error("internal error: %s", type_names(exc))
            if started:  # the response has begun: nothing more can be said
                return
            body = JSONResponse(_body("internal", "internal error"), status_code=500)
            await body(scope, receive, send)


def install_handlers(app: FastAPI) -> None:
    """Register the exception handlers on ``app``."""
    for exc_type, status, code in _TABLE:

        def handler(
            _request: Request, exc: Exception, status: int = status, code: str = code
        ) -> JSONResponse:
            if isinstance(exc, AccessDenied):
                return JSONResponse(ACCESS_DENIED_BODY, status_code=403)
            return JSONResponse(_body(code, str(exc)), status_code=status)

        app.add_exception_handler(exc_type, handler)

    defined: list[set[str]] = []  # the app's names, read from its schema once

    async def validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        if not defined:
            defined.append(_defined_names(request.app.openapi()))
        problems = [
            {
                "loc": safe_loc(e.get("loc", ()), defined[0]),
                "msg": str(e.get("msg", "invalid")),
                "type": str(e.get("type", "invalid")),
            }
            for e in exc.errors()
        ]
        return JSONResponse(
            _body("invalid_request", "the request does not match the schema", problems),
            status_code=422,
        )

    async def http_error(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "bad_request")
        return JSONResponse(
            _body(code, str(exc.detail)), status_code=exc.status_code, headers=exc.headers
        )

    app.add_exception_handler(RequestValidationError, validation)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_middleware(_Internal)
