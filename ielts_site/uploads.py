"""A file sent whole as a request's body (`PUT`, the file's own Content-Type, an optional Content-Disposition file
name): its type checked against the route's, its size against the route's limit before and while it is read, and
the bytes spooled to a temporary file (in memory while small), never held whole in memory."""

import tempfile
from dataclasses import dataclass
from email.message import Message

from django.conf import settings

from ielts_site.errors import InvalidInput, TooLarge, UnsupportedType

CHUNK_BYTES = 64 * 1024


@dataclass
class FileBody:
    file: tempfile.SpooledTemporaryFile
    content_type: str
    filename: str
    size: int


def _content_type(request) -> str:
    return request.META.get("CONTENT_TYPE", "").split(";")[0].strip().lower()


def _filename(request) -> str:
    """The file name of a `Content-Disposition: attachment; filename="..."` header (RFC 6266, `filename*` too)."""
    header = request.META.get("HTTP_CONTENT_DISPOSITION", "")
    if not header:
        return ""
    message = Message()
    message["content-disposition"] = header
    name = message.get_filename() or ""
    return name.replace("\\", "/").rsplit("/", 1)[-1][:200]


def _too_large(limit: int) -> TooLarge:
    return TooLarge(f"The file is larger than {limit // (1024 * 1024)} MiB.")


def read_file_body(request, *, types, limit: int) -> FileBody:
    """The request's body as a file of one of `types` (else 415) of at most `limit` bytes (else 413); an empty body
    is 400."""
    content_type = _content_type(request)
    if content_type not in types:
        raise UnsupportedType(f"Send the file as one of: {', '.join(sorted(types))}.")
    declared = request.META.get("CONTENT_LENGTH")
    if declared and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    spool = tempfile.SpooledTemporaryFile(max_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE)  # noqa: SIM115 (the caller closes it)
    size = 0
    stream = request.stream  # None when there is no body
    while stream is not None and (chunk := stream.read(CHUNK_BYTES)):
        size += len(chunk)
        if size > limit:  # a body longer than it said, or one without a length
            spool.close()
            raise _too_large(limit)
        spool.write(chunk)
    if size == 0:
        spool.close()
        raise InvalidInput("The body is empty: send the file as the request's body.", field="file")
    spool.seek(0)
    return FileBody(spool, content_type, _filename(request), size)
