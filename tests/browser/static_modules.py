"""The module tests' page: ES modules of static/ served without a server."""

from pathlib import Path

STATIC = Path(__file__).resolve().parents[2] / "static"


def serve_static_modules(page, *, origin: str, folders: tuple[str, ...], body: str = "<!doctype html>"):
    """Open a blank page on a made-up origin that serves static/<folder>/*.js of these folders as ES modules
    (no server: the module tests exercise the files alone)."""

    def serve(route):
        folder, _, name = route.request.url.removeprefix(f"{origin}/static/").partition("/")
        if route.request.url == f"{origin}/":
            route.fulfill(status=200, content_type="text/html", body=body)
        elif folder in folders and "/" not in name and (STATIC / folder / name).is_file():
            route.fulfill(status=200, content_type="text/javascript", body=(STATIC / folder / name).read_text())
        else:
            route.fulfill(status=404, body="")

    page.route(f"{origin}/**", serve)
    page.goto(f"{origin}/")
    return page
