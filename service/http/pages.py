"""Pages for people, beside the API: the index at /, the contract's docs at /docs and
/docs/events (built by `make docs`), and the /demo chat page built on the generated
TypeScript client. They are not operations of the contract, so openapi.yaml does not
list them."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from service.http.problems import problem

WEB = Path(__file__).resolve().parent.parent / "web"
DOCS = WEB / "docs"
HTML = "text/html; charset=utf-8"

# Everything a page loads comes from this origin; the demo's socket too (`connect-src
# 'self'` covers same-origin ws: in CSP 3). Inline styles only, no inline script.
PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
# Redoc's pages carry their script inline, and their icons and fonts as data: URLs;
# nothing may be fetched from anywhere else.
DOCS_POLICY = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "img-src data:; font-src data:; connect-src 'self'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)


def _headers(policy: str) -> dict[str, str]:
    return {
        "Content-Security-Policy": policy,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
    }


def _asset(path: str, name: str, media_type: str) -> Route:
    # Read once per app: the files change only with a release.
    body = (WEB / name).read_bytes()

    async def serve(_request: Request) -> Response:
        return Response(body, media_type=media_type, headers=_headers(PAGE_POLICY))

    return Route(path, serve, methods=["GET"])


def _docs(path: str, name: str) -> Route:
    async def serve(request: Request) -> Response:
        built = DOCS / name
        if not built.is_file():
            return problem(request, "not_found", "The docs are not built here: run `make docs`.")
        return Response(built.read_bytes(), media_type=HTML, headers=_headers(DOCS_POLICY))

    return Route(path, serve, methods=["GET"])


def page_routes() -> list[Route]:
    return [
        _asset("/", "index.html", HTML),
        _asset("/demo", "demo.html", HTML),
        _asset("/demo/demo.js", "demo.js", "text/javascript; charset=utf-8"),
        _docs("/docs", "openapi.html"),
        _docs("/docs/events", "asyncapi.html"),
    ]
