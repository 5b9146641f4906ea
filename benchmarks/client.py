"""A small logged-in HTTP client over the standard library's http.client.

The server runs with production settings, whose session and CSRF cookies are Secure; a
plain-http client such as `requests` would not send them back. This client keeps the
cookies itself and sends them on every request, together with `X-Forwarded-Proto: https`
(settings trust it, as behind a TLS-terminating proxy) and a same-site `Origin`, so the
server sees what it would see from a browser behind the proxy. gunicorn's sync workers
close each connection after the response, so every request opens a fresh connection
(on loopback that costs well under a millisecond).
"""

from __future__ import annotations

import http.client
import json
import re
import time
from dataclasses import dataclass
from http.cookies import SimpleCookie
from urllib.parse import urlencode

CSRF_INPUT = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')


class BenchmarkError(RuntimeError):
    """The run cannot go on (login refused, a page answering with an error, ...)."""


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]
    body: bytes
    elapsed_ms: float

    @property
    def query_count(self) -> int | None:
        value = self.headers.get("x-query-count")
        return int(value) if value is not None else None


class Client:
    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self.cookies: dict[str, str] = {}

    @property
    def origin(self) -> str:
        return f"https://{self.host}:{self.port}"

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = {
            "Host": f"{self.host}:{self.port}",
            "X-Forwarded-Proto": "https",
            "Origin": self.origin,
            "Referer": f"{self.origin}/",
        }
        if self.cookies:
            headers["Cookie"] = self.cookie_header()
        if "csrftoken" in self.cookies:
            headers["X-CSRFToken"] = self.cookies["csrftoken"]
        headers.update(extra or {})
        return headers

    def cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())

    def request(
        self,
        method: str,
        path: str,
        *,
        form: list[tuple[str, str | int]] | None = None,
        json_body: object = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        all_headers = self.headers(headers)
        body = None
        if form is not None:
            body = urlencode(form).encode()
            all_headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif json_body is not None:
            body = json.dumps(json_body).encode()
            all_headers["Content-Type"] = "application/json"
        connection = http.client.HTTPConnection(self.host, self.port, timeout=120)
        try:
            started = time.perf_counter()
            connection.request(method, path, body=body, headers=all_headers)
            raw = connection.getresponse()
            content = raw.read()
            elapsed_ms = (time.perf_counter() - started) * 1000
            self._keep_cookies(raw.headers.get_all("Set-Cookie") or [])
            response_headers = {name.lower(): value for name, value in raw.getheaders()}
        finally:
            connection.close()
        return Response(raw.status, response_headers, content, elapsed_ms)

    def get(self, path: str, **kwargs) -> Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, form: list[tuple[str, str | int]], **kwargs) -> Response:
        return self.request("POST", path, form=form, **kwargs)

    def _keep_cookies(self, set_cookies: list[str]) -> None:
        for header in set_cookies:
            for name, morsel in SimpleCookie(header).items():
                if morsel.value:
                    self.cookies[name] = morsel.value
                else:
                    self.cookies.pop(name, None)

    def log_in(self, username: str, password: str) -> None:
        """Log in through the login form, as a person would."""
        form_page = self.get("/login/")
        match = CSRF_INPUT.search(form_page.body)
        if form_page.status != 200 or match is None:
            raise BenchmarkError(f"GET /login/ answered {form_page.status} without a form.")
        response = self.post(
            "/login/",
            [
                ("csrfmiddlewaretoken", match.group(1).decode()),
                ("username", username),
                ("password", password),
            ],
        )
        if response.status != 302 or "sessionid" not in self.cookies:
            raise BenchmarkError(
                f"Logging in as {username} failed (HTTP {response.status}); is the bench "
                "data seeded?"
            )
