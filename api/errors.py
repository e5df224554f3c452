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
anything else                            500     ``internal``
=======================================  ======  ====================

Bodies are :class:`ErrorBody`. Validation errors list where the problem is
(``loc``) and what is wrong, never the submitted value (FastAPI's default
body echoes the input, which may be an ID number or a token).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from desens.consent.errors import (
    AccessDenied,
    AuditWriteError,
    ConflictError,
    Forbidden,
    NotAuthenticated,
    NotFound,
    RuleError,
)
from desens.errors import BadRecordError

__all__ = ["ACCESS_DENIED_BODY", "ErrorBody", "FieldProblem", "errors", "install_handlers"]

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

    async def validation(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        problems = [
            {
                "loc": [p for p in e.get("loc", ()) if isinstance(p, str | int)],
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

    async def internal(_request: Request, exc: Exception) -> JSONResponse:
        # Type only: an exception's text may quote data.
        log.error("internal error: %s", type(exc).__name__)
        return JSONResponse(_body("internal", "internal error"), status_code=500)

    app.add_exception_handler(RequestValidationError, validation)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, internal)
