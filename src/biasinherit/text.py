"""Untrusted text made safe to store and show: control, zero-width and bidi characters out.

Generated rows and user files both pass through :func:`strip_unsafe` before anything keeps
them.
"""

from __future__ import annotations

import re
import unicodedata

# Control characters (C0 except tab/newline/CR, DEL, C1), zero-width and bidirectional
# controls (LRE/RLE/PDF/LRO/RLO, LRI/RLI/FSI/PDI, LRM/RLM/ALM), BOM, interlinear annotation
# and the replacement character left by undecodable bytes.
UNSAFE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u2069\ufeff\ufff9-\ufffb\ufffd]"
)


def strip_unsafe(text: str) -> tuple[str, int]:
    """Remove control, zero-width and bidi characters; return the text and how many went.

    Examples
    --------
    >>> strip_unsafe("Ann\\u202e is a nurse\\x00.")
    ('Ann is a nurse.', 2)
    """
    text = unicodedata.normalize("NFC", text)
    out, n = UNSAFE.subn("", text)
    return out, n
