"""A paper from a file (docs/paper-format.md): one JSON object, the API's create body, checked by the API's own
serializer so that every problem is reported with its path (`passages.0.questions.2.answers`), then written by
`exams.services.test_create` in one transaction, or not at all."""

import json

from exams.models import Test
from exams.serializers import TestCreateSerializer
from exams.services import test_create
from ielts_site.errors import InvalidInput, flatten_errors

# Listening audio and Writing images come with their own issue; until then a file naming them is refused rather
# than imported without them.
MEDIA_WORDS = ("audio", "image")
WHOLE_PAPER = "paper"  # the path of a problem of the paper as a whole (its numbering, the file itself)


class PaperFileRefused(InvalidInput):
    """Nothing was imported; `errors` maps each path to its problems."""

    code = "paper_refused"

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        super().__init__(f"The paper was not imported: {sum(map(len, errors.values()))} problem(s).")

    def lines(self) -> list[str]:
        return [f"{path}: {message}" for path, messages in self.errors.items() for message in messages]


def _media_paths(value, path: str = "") -> list[str]:
    if isinstance(value, dict):
        found = []
        for key, sub in value.items():
            key_path = f"{path}.{key}" if path else str(key)
            if any(word in str(key).lower() for word in MEDIA_WORDS):
                found.append(key_path)
            found += _media_paths(sub, key_path)
        return found
    if isinstance(value, list):
        return [found for index, sub in enumerate(value) for found in _media_paths(sub, f"{path}.{index}")]
    return []


def paper_read(content: bytes) -> dict:
    """The paper a file holds, as `test_create` takes it; PaperFileRefused with every problem otherwise."""
    try:
        data = json.loads(content.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise PaperFileRefused({WHOLE_PAPER: ["The file is not UTF-8 text."]}) from None
    except json.JSONDecodeError as error:
        message = f"The file is not JSON: {error.msg} at line {error.lineno}, column {error.colno}."
        raise PaperFileRefused({WHOLE_PAPER: [message]}) from None
    except RecursionError:
        raise PaperFileRefused({WHOLE_PAPER: ["The file nests too deeply."]}) from None
    if not isinstance(data, dict):
        raise PaperFileRefused({WHOLE_PAPER: ["The file must hold one JSON object: the paper."]})
    errors = {path: ["Audio and image files are not supported yet; remove this field."] for path in _media_paths(data)}
    serializer = TestCreateSerializer(data=data)
    if not serializer.is_valid():
        for path, messages in flatten_errors(serializer.errors).items():
            errors.setdefault(WHOLE_PAPER if path == "non_field_errors" else path, []).extend(messages)
    if errors:
        raise PaperFileRefused(errors)
    return serializer.validated_data


def paper_import(*, paper: dict, owner) -> Test:
    """Create the paper `paper_read` returned, owned by `owner` (None: by nobody, for admins to manage); the
    paper's own rules (numbering 1..N across passages, ...) refuse it as a PaperFileRefused too."""
    try:
        return test_create(**paper, created_by=owner)
    except InvalidInput as error:
        raise PaperFileRefused({error.field or WHOLE_PAPER: [error.detail]}) from None
