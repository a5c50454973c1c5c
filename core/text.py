"""Turning user text into safe e-mail headers."""

from __future__ import annotations

from django.utils.translation import pgettext

# RFC 5322 recommends lines of at most 78 characters; a subject is one header line.
SUBJECT_MAX_CHARS = 78


def email_subject(text: str, *, limit: int = SUBJECT_MAX_CHARS) -> str:
    """One line, at most ``limit`` characters, cut on a word boundary with a translated ellipsis.

    Lot names, offer messages and the like are user text: a ``\\r\\n`` in one would make the
    subject an injected header (Django refuses it with BadHeaderError, so the e-mail could never
    be sent). Every kind of line break and run of whitespace becomes a single space.
    """
    one_line = " ".join(str(text).split())  # str.split() also splits on \\r, \\x0b, \\x1c-\\x1e, \\u2028…
    if len(one_line) <= limit:
        return one_line
    shortened = pgettext("e-mail subject cut short", "%(text)s…")
    room = limit - len(shortened % {"text": ""})
    head = one_line[: room + 1]
    cut = head.rsplit(" ", 1)[0] if " " in head else head[:room]
    return shortened % {"text": cut[:room].rstrip(" ,;:.-")}
