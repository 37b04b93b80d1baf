"""The API's JSON parser: DRF's, bounded in depth (400 `parse_error`, or `too_deep` past REQUEST_JSON_MAX_DEPTH)."""

import codecs
import json

from django.conf import settings
from rest_framework import exceptions
from rest_framework.parsers import JSONParser
from rest_framework.utils import json as drf_json


class TooDeep(exceptions.ParseError):
    contract_code = "too_deep"  # ielts_site/errors.py answers this code (DRF's would be parse_error)
    default_detail = "The JSON body nests too deeply."
    default_code = "too_deep"


def _depth_exceeds(value, limit: int) -> bool:
    """Whether containers nest deeper than `limit` levels (iterative: no recursion on hostile input)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser, plus: nesting deeper than REQUEST_JSON_MAX_DEPTH is 400 `too_deep` (Python's own parser
    would raise RecursionError, a 500, near 1,000 levels)."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            decoded = codecs.getreader(encoding)(stream)
            data = json.load(decoded, parse_constant=drf_json.strict_constant if self.strict else None)
        except RecursionError as exc:
            raise TooDeep(f"The JSON body nests deeper than {settings.REQUEST_JSON_MAX_DEPTH} levels.") from exc
        except ValueError as exc:
            raise exceptions.ParseError(f"JSON parse error - {exc}") from exc
        if _depth_exceeds(data, settings.REQUEST_JSON_MAX_DEPTH):
            raise TooDeep(f"The JSON body nests deeper than {settings.REQUEST_JSON_MAX_DEPTH} levels.")
        return data
