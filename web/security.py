"""Who may talk to the server: the loopback rule, the token, and the host check.

The rule (SPEC.md, "Operations centre"): bound to loopback the server answers anyone on this
machine; bound to any other address every request needs the token, as ``Authorization: Bearer
T``, ``?token=T`` or the cookie the page gets after one such request.

"Loopback" here means exactly the addresses a browser on this machine reaches without leaving
it and that no other machine or network namespace can be given: ``127.0.0.1``, ``::1`` and
``localhost``. Other addresses of the 127.0.0.0/8 range (``127.0.0.2`` ...) count as *not*
loopback: on Linux they can be routed or assigned to containers and network namespaces, so a
server bound there needs the token too. A server without a token also refuses requests whose
``Host`` header names another host (a defence against DNS rebinding: a web page elsewhere that
points its own name at 127.0.0.1), and every server refuses a POST or DELETE whose ``Origin``
is another site (a page elsewhere starting what-ifs here).
"""

from __future__ import annotations

import hmac
import json
import os
import re
from collections.abc import Awaitable, Callable, MutableMapping
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs

from twin.errors import UsageError

LOOPBACK = ("127.0.0.1", "::1", "localhost")
TOKEN_ENV = "PARKTWIN_TOKEN"
COOKIE = "parktwin_token"
MIN_TOKEN_CHARS = 12
TOKEN_CHARS = re.compile(r"[A-Za-z0-9._~/=-]+")
"""What a token may hold: it travels raw in a URL (where ``+`` reads as a space), an HTTP
header (ASCII only, for a browser's ``fetch``) and a cookie (no ``;``, ``,`` or space)."""

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def is_loopback(host: str) -> bool:
    """True for the hosts that serve without a token: 127.0.0.1, ::1 and localhost."""
    return host.strip("[]").lower() in LOOPBACK


def resolve_token(host: str, token: str | None) -> str | None:
    """The token the server will require: ``--token``, else ``$PARKTWIN_TOKEN``.

    Returns None on loopback when neither is given (no token needed).

    Raises:
        UsageError: a non-loopback host without a token, or a token too short to guess-proof.
    """
    token = token if token is not None else os.environ.get(TOKEN_ENV) or None
    if token is None:
        if not is_loopback(host):
            raise UsageError(
                f"--host {host} is not loopback (127.0.0.1, ::1, localhost): give a token with "
                f"--token or ${TOKEN_ENV}; every request must then carry it"
            )
        return None
    if len(token) < MIN_TOKEN_CHARS:
        raise UsageError(f"--token must be at least {MIN_TOKEN_CHARS} characters")
    if not TOKEN_CHARS.fullmatch(token):
        raise UsageError(
            "--token may hold only ASCII letters, digits and . _ ~ / = - (it travels in the "
            "page's address, a header and a cookie); e.g. python3 -c \"import secrets; "
            'print(secrets.token_urlsafe(24))"'
        )
    return token


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value).decode("latin-1")
    return None


def presented_token(scope: Scope) -> tuple[str | None, bool]:
    """The token a request carries, and whether it came in the URL (then the cookie is set)."""
    auth = _header(scope, b"authorization")
    if auth and auth.lower().startswith("bearer "):
        return auth[7:].strip(), False
    query = parse_qs(bytes(scope.get("query_string", b"")).decode("latin-1"))
    if query.get("token"):
        return query["token"][0], True
    cookie = _header(scope, b"cookie")
    if cookie:
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(cookie)
        except Exception:  # a malformed cookie header is simply no token
            return None, False
        if COOKIE in jar:
            return jar[COOKIE].value, False
    return None, False


def cross_site(scope: Scope) -> bool:
    """A POST or DELETE sent by a page of another site (its ``Origin`` is not this server).

    Browsers send such a form or ``fetch`` without asking first when it looks simple, so
    without this check any web page open on this machine could start what-ifs here.
    """
    if scope.get("method", "GET") in ("GET", "HEAD", "OPTIONS"):
        return False
    origin = _header(scope, b"origin")
    if origin is None:
        return False  # not a browser's cross-site request (curl, scripts)
    host = _header(scope, b"host") or ""
    return origin.split("://", 1)[-1].rstrip("/").lower() != host.lower()


class Guard:
    """ASGI middleware: the token on every request (push channel included), or the host check.

    Args:
        app: the application behind the guard.
        token: the required token, or None when serving loopback without one.
    """

    def __init__(self, app: ASGIApp, token: str | None) -> None:
        self.app = app
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        if cross_site(scope):
            await _refuse(send, 403, "requests that change something must come from this page")
            return
        if self.token is None:
            host = (_header(scope, b"host") or "").rsplit(":", 1)[0].strip("[]").lower()
            if host and host not in LOOPBACK:
                await _refuse(send, 403, f"Host '{host}' is not this machine's loopback")
                return
            await self.app(scope, receive, send)
            return
        given, from_url = presented_token(scope)
        if given is None or not hmac.compare_digest(given.encode(), self.token.encode()):
            await _refuse(
                send, 401, "a valid token is needed (Authorization: Bearer T or ?token=T)"
            )
            return
        if not from_url:
            await self.app(scope, receive, send)
            return

        async def send_with_cookie(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                cookie = f"{COOKIE}={self.token}; Path=/; HttpOnly; SameSite=Strict"
                message["headers"] = [*message.get("headers", []), (b"set-cookie", cookie.encode())]
            await send(message)

        await self.app(scope, receive, send_with_cookie)


async def _refuse(send: Send, status: int, message: str) -> None:
    body = json.dumps({"error": message}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if status == 401:
        headers.append((b"www-authenticate", b'Bearer realm="parktwin"'))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
