"""Errors the API answers with, in OpenAI's shape: `{"error": {message, type, param, code}}`."""

from __future__ import annotations

from typing import Any

from engine.errors import HearthError

INVALID_REQUEST = "invalid_request_error"
AUTHENTICATION = "authentication_error"
RATE_LIMIT = "rate_limit_error"
SERVER = "server_error"


class ApiError(HearthError):
    """A request the server refuses or could not answer, with the HTTP status to send."""

    def __init__(
        self, status: int, message: str, *, kind: str = INVALID_REQUEST,
        param: str | None = None, code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.kind = kind
        self.param = param
        self.code = code
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        return {"error": {"message": self.message, "type": self.kind, "param": self.param,
                          "code": self.code}}


def invalid(message: str, param: str | None = None, code: str | None = None) -> ApiError:
    return ApiError(400, message, param=param, code=code)


def unsupported(param: str, what: str) -> ApiError:
    return ApiError(400, f"{what} is not supported by Hearth's server.", param=param,
                    code="unsupported_parameter")
