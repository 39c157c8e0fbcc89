"""Pages for people, beside the API: the /demo chat page built on the generated
TypeScript client. They are not operations of the contract, so openapi.yaml does not
list them."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

WEB = Path(__file__).resolve().parent.parent / "web"

# Everything the page loads comes from this origin; its socket too (`connect-src 'self'`
# covers same-origin ws: in CSP 3). Inline styles only, no inline script.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; "
        "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def _asset(path: str, name: str, media_type: str) -> Route:
    # Read once per app: the files change only with a release.
    body = (WEB / name).read_bytes()

    async def serve(_request: Request) -> Response:
        return Response(body, media_type=media_type, headers=SECURITY_HEADERS)

    return Route(path, serve, methods=["GET"])


def page_routes() -> list[Route]:
    return [
        _asset("/demo", "demo.html", "text/html; charset=utf-8"),
        _asset("/demo/demo.js", "demo.js", "text/javascript; charset=utf-8"),
    ]
