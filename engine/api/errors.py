"""Errors the API answers with, in OpenAI's shape: `{"error": {message, type, param, code}}`."""

from __future__ import annotations

from typing import Any

from engine.errors import HearthError

INVALID_REQUEST = "invalid_request_error"
AUTHENTICATION = "authentication_error"
RATE_LIMIT = "rate_limit_error"
SERVER = "server_error"

# Tells OpenAI's own clients not to retry an answer (they retry a 503 by themselves).
DO_NOT_RETRY = {"x-should-retry": "false"}


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


def no_model(why: str | None = None) -> ApiError:
    """503 for a request while no model answers.

    Without `why`, one is being loaded (at start, after a pick, again after a crash), so a
    client may try again shortly: Retry-After. With `why`, none will answer until a person
    loads another, since the last one failed to load or Hearth gave up on it (it crashed even
    loaded the safest way). That is not temporary: no Retry-After, which would promise an
    answer after it, and `x-should-retry: false`; the message says why, naming the file.
    """
    if why is None:
        return ApiError(503, "No model is loaded.", kind=SERVER, code="model_not_loaded",
                        headers={"Retry-After": "5"})
    return ApiError(503, f"No model is loaded: {why}", kind=SERVER, code="model_not_loaded",
                    headers=DO_NOT_RETRY)
