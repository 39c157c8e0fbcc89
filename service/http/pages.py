"""Pages for people, beside the API: the index at /, the contract's docs at /docs and
/docs/events (built by `make docs`), and the /demo chat page built on the generated
TypeScript client. They are not operations of the contract, so openapi.yaml does not
list them."""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
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


@dataclass(frozen=True)
class _Built:
    """A docs page as built, compressed once (2.6 MB of HTML is ~0.5 MB gzipped)."""

    body: bytes
    gzipped: bytes
    etag: str


def _docs(path: str, name: str) -> Route:
    built: dict[int, _Built] = {}  # by the file's mtime: `make docs` may run meanwhile

    async def serve(request: Request) -> Response:
        try:
            changed = (DOCS / name).stat().st_mtime_ns
        except FileNotFoundError:
            return problem(request, "not_found", "The docs are not built here: run `make docs`.")
        page = built.get(changed)
        if page is None:
            body = (DOCS / name).read_bytes()
            digest = hashlib.sha256(body).hexdigest()[:32]
            page = _Built(body, gzip.compress(body, mtime=0), f'"{digest}"')
            built.clear()
            built[changed] = page
        headers = {
            **_headers(DOCS_POLICY),
            "ETag": page.etag,
            # Revalidated on each visit: a 304 costs nothing, a new build shows at once.
            "Cache-Control": "no-cache",
            "Vary": "Accept-Encoding",
        }
        if page.etag in request.headers.get("if-none-match", ""):
            return Response(status_code=304, headers=headers)
        if "gzip" in request.headers.get("accept-encoding", ""):
            headers["Content-Encoding"] = "gzip"
            return Response(page.gzipped, media_type=HTML, headers=headers)
        return Response(page.body, media_type=HTML, headers=headers)

    return Route(path, serve, methods=["GET"])


def page_routes() -> list[Route]:
    return [
        _asset("/", "index.html", HTML),
        _asset("/demo", "demo.html", HTML),
        _asset("/demo/demo.js", "demo.js", "text/javascript; charset=utf-8"),
        _docs("/docs", "openapi.html"),
        _docs("/docs/events", "asyncapi.html"),
    ]
