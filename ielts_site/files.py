"""A stored file (Django's storage API) sent in chunks, whole or one byte range of it (`Range: bytes=a-b` → 206
with `Content-Range`), so that a browser's audio element can start anywhere and nothing is read whole into memory.
"""

import mimetypes
import re
from pathlib import PurePosixPath

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpResponse, StreamingHttpResponse

CHUNK_BYTES = 64 * 1024
RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
# The names the contract uses, where Python's table has older ones (audio/x-wav).
CONTENT_TYPES = {".mp3": "audio/mpeg", ".ogg": "audio/ogg", ".wav": "audio/wav", ".png": "image/png",
                 ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}  # fmt: skip


def byte_range(header: str, size: int) -> tuple[int, int] | None | bool:
    """The first and last byte (inclusive) a `Range` header asks for; None to send the whole file (no header, or
    one this does not serve: several ranges, another unit); False when the range lies outside the file (416)."""
    match = RANGE.match(header.strip()) if header else None
    if match is None:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # the last N bytes
        length = int(last)
        if length == 0:
            return False
        return max(0, size - length), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or (last and int(last) < start):
        return False
    return start, end


def _chunks(opened, start: int, length: int):
    with opened:
        opened.seek(start)
        left = length
        while left > 0:
            chunk = opened.read(min(CHUNK_BYTES, left))
            if not chunk:
                return
            left -= len(chunk)
            yield chunk


async def _async_chunks(opened, start: int, length: int):
    """The same chunks for an ASGI server: Django would otherwise gather a sync iterator into one list first."""
    try:
        await sync_to_async(opened.seek, thread_sensitive=False)(start)
        left = length
        while left > 0:
            chunk = await sync_to_async(opened.read, thread_sensitive=False)(min(CHUNK_BYTES, left))
            if not chunk:
                return
            left -= len(chunk)
            yield chunk
    finally:
        await sync_to_async(opened.close, thread_sensitive=False)()


def stored_file_response(request, field_file) -> HttpResponse:
    """The file of a FileField (e.g. `passage.audio`), whole (200) or the range the request asks for (206)."""
    storage, name = field_file.storage, field_file.name
    size = storage.size(name)
    suffix = PurePosixPath(name).suffix.lower()
    content_type = CONTENT_TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"
    wanted = byte_range(request.headers.get("Range", ""), size)
    if wanted is False:
        response = HttpResponse(status=416, content_type=content_type)
        response["Content-Range"] = f"bytes */{size}"
        response["Accept-Ranges"] = "bytes"
        return response
    start, end = wanted if wanted else (0, size - 1)
    length = max(0, end - start + 1)
    opened = storage.open(name, "rb")
    chunks = _async_chunks if isinstance(request, ASGIRequest) else _chunks
    response = StreamingHttpResponse(
        chunks(opened, start, length), status=206 if wanted else 200, content_type=content_type
    )
    response["Content-Length"] = str(length)
    response["Accept-Ranges"] = "bytes"
    if wanted:
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    # Only the people allowed right now may hear it: no shared cache keeps a copy, and each request is checked.
    response["Cache-Control"] = "private, no-cache"
    return response
