"""Scrub the API token out of any text before it is parsed, logged or put in an error.

A server may echo a token back raw, JSON-escaped (``\\/``, ``\\u002b``, or escaped twice when a JSON string
holds JSON), URL-encoded (``quote`` / ``quote_plus``, or twice), HTML-escaped, or in another Unicode
normal form. One pattern per secret matches every mix of those encodings, character by character, so
``scrub`` is the only function that removes a token from text, wherever the text comes from.

Secrets are registered once (``ClientSettings`` registers its token), so that every ``MailApiError``,
whoever builds it, is scrubbed of every token this process has read. As with Airflow's secrets masker
(``[logging] min_length_masked_secret``), secrets shorter than 5 characters are not scrubbed: they would
turn every error text to asterisks, and protect nothing.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache

REDACTED = "***"
MIN_LENGTH = 5

_registered: tuple[str, ...] = ()
_lock = threading.Lock()

_BACKSLASHES = r"\\+"  # one or more: an escape, or an escape escaped again (JSON inside a JSON string)
_PERCENT = "%(?:25)*"  # %2F, or %252F when the text was URL-encoded twice
_SHORT_ESCAPES = {'"': '"', "'": "'", "\\": "\\", "/": "/", "\b": "b", "\f": "f", "\n": "n", "\r": "r", "\t": "t"}
_HTML_NAMES = {"&": "amp", '"': "quot", "'": "apos", "<": "lt", ">": "gt"}


def register_secret(secret: str) -> None:
    """Scrub ``secret`` from every text passed to ``scrub`` from now on (in this process)."""
    global _registered
    if len(secret) < MIN_LENGTH:
        return
    with _lock:
        if secret not in _registered:
            _registered = (*_registered, secret)


def scrub(text: str, *secrets: str) -> str:
    """``text`` with ``secrets`` and every registered secret, however encoded, replaced by ``***``."""
    if not text:
        return text
    for secret in sorted({*_registered, *secrets}, key=len, reverse=True):
        if len(secret) >= MIN_LENGTH:
            text = _pattern(secret).sub(REDACTED, text)
    return text


@lru_cache(maxsize=64)
def _pattern(secret: str) -> re.Pattern[str]:
    forms = dict.fromkeys([secret, *(unicodedata.normalize(form, secret) for form in ("NFC", "NFD", "NFKC", "NFKD"))])
    return re.compile("|".join("".join(_char(ch) for ch in form) for form in forms))


def _hex(value: int, digits: int) -> str:
    return f"(?i:{value:0{digits}x})"


def _char(ch: str) -> str:
    """A regex matching one character of the secret in any of the encodings above."""
    code = ord(ch)
    options = [re.escape(ch)]
    if ch in _SHORT_ESCAPES:
        options.append(_BACKSLASHES + re.escape(_SHORT_ESCAPES[ch]))
    if code <= 0xFFFF:
        options.append(_BACKSLASHES + "u" + _hex(code, 4))
    else:  # a UTF-16 surrogate pair in JSON, \U0001f600 in Python reprs
        high, low = 0xD800 + ((code - 0x10000) >> 10), 0xDC00 + ((code - 0x10000) & 0x3FF)
        options.append(_BACKSLASHES + "u" + _hex(high, 4) + _BACKSLASHES + "u" + _hex(low, 4))
        options.append(_BACKSLASHES + "U" + _hex(code, 8))
    if code <= 0xFF:
        options.append(_BACKSLASHES + "x" + _hex(code, 2))
    options.append("".join(_PERCENT + _hex(byte, 2) for byte in ch.encode("utf-8")))
    if ch == " ":
        options.append(r"\+")  # quote_plus
    options.append(f"&#0*{code};")
    options.append(f"&#[xX]0*(?i:{code:x});")
    if ch in _HTML_NAMES:
        options.append(f"&{_HTML_NAMES[ch]};")
    return "(?:" + "|".join(options) + ")"
