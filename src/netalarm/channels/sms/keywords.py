"""What an SMS reporter can ask for by text, besides writing to the seat: to cancel their
alarm (sent by mistake, or safe now) and to be left quiet.

The words are read so that an ordinary message is never taken for one:

- **Cancel** only when the whole text is the phrase “取消报警” / “撤销报警” / “CANCEL ALARM”,
  alone (sent by mistake) or after “安全”, “已安全”, “我已安全”, “我安全了”, “SAFE”, “I AM SAFE”,
  “I'M SAFE” (safe now). Case, full-width forms, spaces and punctuation do not matter; a
  question (“cancel alarm?”) is not a cancellation. So the answer “安全” / “safe” to a seat
  asking “are you safe to talk?”, “不要取消报警” or “don't cancel alarm” stay messages.
- **Quiet** when the text begins with “静音”, “静默”, “QUIET” or “SILENT” (an English word on
  its own): the reporter cannot have their phone buzz. Taken too eagerly it only withholds
  the automatic status texts and warns the seat, so a text that merely starts so is read as
  asking for quiet; the whole text still reaches the seat.
- **Quiet off** only when the whole text is “取消静音”, “解除静音”, “QUIET OFF” or “END QUIET”
  (case, spaces and punctuation aside): texts to their phone start again. Strict, unlike
  quiet, because taken by mistake it would make a hidden phone buzz."""

from __future__ import annotations

import unicodedata

_CANCEL = ("取消报警", "撤销报警", "cancelalarm")
_SAFE = ("安全", "已安全", "我已安全", "我安全了", "safe", "iamsafe", "imsafe")
_QUIET = ("静音", "静默", "quiet", "silent")
_QUIET_OFF = ("取消静音", "解除静音", "quietoff", "endquiet")
_QUESTION = ("?", "？")


def _words(text: str) -> str:
    """The text's letters and digits only, case folded, full-width forms made plain."""
    plain = unicodedata.normalize("NFKC", text).casefold()
    return "".join(c for c in plain if unicodedata.category(c)[0] in "LN")


def withdrawal(text: str) -> str | None:
    """`mistake` or `safe` when the whole text asks to cancel the alarm (see the module);
    else None."""
    if text.strip().endswith(_QUESTION):
        return None
    words = _words(text)
    for phrase in _CANCEL:
        if words.endswith(phrase):
            before = words[: -len(phrase)]
            if not before:
                return "mistake"
            if before in _SAFE:
                return "safe"
    return None


def lifts_quiet(text: str) -> bool:
    """Whether the whole text asks for quiet to end (see the module)."""
    return not text.strip().endswith(_QUESTION) and _words(text) in _QUIET_OFF


def asks_quiet(text: str) -> bool:
    """Whether the text begins with a word asking for quiet (see the module) and does not
    ask for quiet to end (“QUIET OFF” begins with “QUIET”)."""
    if lifts_quiet(text):
        return False
    plain = unicodedata.normalize("NFKC", text).strip().casefold()
    for word in _QUIET:
        if plain.startswith(word):
            rest = plain[len(word) :]
            if not word.isascii() or not rest or not rest[0].isalnum():
                return True
    return False
