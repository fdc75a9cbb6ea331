"""Tokens made of every character class, the forms a server may echo them in, and a leak detector."""

from __future__ import annotations

import html
import json
import unicodedata
from collections.abc import Callable
from urllib.parse import quote, quote_plus

TOKENS: dict[str, str] = {
    "letters-digits": "AbCdEf0123456789xyz",
    "base64": "ab/cd+ef==",
    "unreserved": "a-b_c.d~e-123",
    "quotes": "q\"uo'te-42",
    "backslash": "back\\slash\\n-42",
    "unicode": "ünï-cödé-中文-😀-42",
    "spaces": "with space s-42",
    "html": "<a&b>;-42",
    "everything": "mix/+= -_.~\"'\\é😀%&#",
}

FORMS: dict[str, Callable[[str], str]] = {
    "raw": lambda t: t,
    "json": lambda t: json.dumps(t)[1:-1],
    "json-utf8": lambda t: json.dumps(t, ensure_ascii=False)[1:-1],
    "json-php-slashes": lambda t: json.dumps(t)[1:-1].replace("/", "\\/"),
    "json-in-json": lambda t: json.dumps(json.dumps(t))[3:-3],
    "quote": quote,
    "quote-all": lambda t: quote(t, safe=""),
    "quote_plus": quote_plus,
    "quote-twice": lambda t: quote(quote(t, safe=""), safe=""),
    "html": html.escape,
    "python-repr": lambda t: repr(t)[1:-1],
    "unicode-nfd": lambda t: unicodedata.normalize("NFD", t),
}


def error_bodies(token: str) -> dict[str, str]:
    """Error bodies a server may answer with, each echoing the token in several forms at once."""
    payload = {"message": f"Invalid token {token}", "echo": {"token": token}, "url": f"/x?token={quote_plus(token)}"}
    return {
        "json": json.dumps(payload),
        "json-php": json.dumps(payload).replace("/", "\\/"),
        "json-utf8": json.dumps(payload, ensure_ascii=False),
        "text": f"Invalid token {token}",
        "html": f"<p>Invalid token {html.escape(token)}</p>",
        "form": f"token={quote_plus(token)}&again={quote(token, safe='')}",
    }


def leaks(text: str, token: str) -> list[str]:
    """The forms of ``token`` that ``text`` still contains."""
    return [name for name, form in FORMS.items() if form(token) in text]


def exception_leaks(exc: BaseException, token: str) -> list[str]:
    texts = [str(exc), repr(exc), *map(str, exc.args)]
    texts += [str(getattr(exc, name, "")) for name in ("api_message", "message", "endpoint")]
    return leaks("\n".join(texts), token)
