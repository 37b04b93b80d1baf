"""daphne's access log writes each HTTP request line as received, query string included, so a client that puts
a credential in a URL (`?token=<JWT>`, `?ticket=...`) would leave it in the log. Log the path only, as the app's
own request log does. (WebSocket lines already carry no query string.) Applied by `ielts_site.asgi`, so it holds
however daphne is started."""

from daphne.access import AccessLogGenerator


def access_log_without_query_strings() -> None:
    if getattr(AccessLogGenerator.__call__, "drops_query_strings", False):
        return
    original = AccessLogGenerator.__call__

    def __call__(self, protocol, action, details):
        path = details.get("path")
        if isinstance(path, str) and "?" in path:
            details = {**details, "path": path.split("?", 1)[0]}
        return original(self, protocol, action, details)

    __call__.drops_query_strings = True
    AccessLogGenerator.__call__ = __call__
