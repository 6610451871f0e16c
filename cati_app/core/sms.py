"""SMS rules without I/O (issue 17, DESIGN.md §9.3): delivery receipts, replies, back-off and the
per-second send rate.

Delivery receipts follow the de-facto format of SMPP 3.4 Appendix B, which operators put in the
``short_message`` of a ``deliver_sm`` with ``esm_class`` bit 2 set::

    id:0123456789 sub:001 dlvrd:001 submit date:2612011200 done date:2612011201
    stat:DELIVRD err:000 text:...

(one line in the message).

Only ``id`` and ``stat`` are relied on: the rest varies between operators.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import timedelta
from typing import Final, Literal

#: the outcome of one message as its receipt (or the gateway's refusal) tells it
Delivery = Literal["delivered", "undeliverable", "expired", "pending"]

#: SMPP message states (Appendix B ``stat``) and what they mean for the case: an undeliverable
#: invitation is a non-contact for AAPOR, not a refusal; an expired one may have been a phone
#: switched off for days, a non-contact as well, but worth telling apart in reports
RECEIPT_STATES: Final[dict[str, Delivery]] = {
    "DELIVRD": "delivered",
    "ACCEPTD": "pending",
    "ENROUTE": "pending",
    "UNKNOWN": "pending",
    "EXPIRED": "expired",
    "DELETED": "undeliverable",
    "UNDELIV": "undeliverable",
    "REJECTD": "undeliverable",
}

_RECEIPT_FIELD = re.compile(r"(\w+(?: date)?):(\S*)", re.IGNORECASE)


@dataclass(frozen=True)
class Receipt:
    message_id: str
    stat: str
    delivery: Delivery


def parse_receipt(text: str) -> Receipt | None:
    """The receipt in ``text``, or None when ``text`` is not a delivery receipt."""
    fields = {key.lower(): value for key, value in _RECEIPT_FIELD.findall(text)}
    message_id, stat = fields.get("id"), fields.get("stat", "").upper()
    if not message_id or not stat:
        return None
    return Receipt(message_id=message_id, stat=stat,
                   delivery=RECEIPT_STATES.get(stat, "pending"))


#: words that ask never to be texted or called again. English as operators use them, and
#: Dzongkha: ཚུགས (stop), མཚམས་འཇོག (cease). The Dzongkha words are to be confirmed by RCSC's
#: language staff before launch; the list is a setting (``sms_stop_words``) for that reason.
DEFAULT_STOP_WORDS: Final = ("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT",
                             "ཚུགས", "མཚམས་འཇོག")


@dataclass(frozen=True)
class Reply:
    """An inbound message read: ``stop``, a ``digit`` answer (``value``), or free ``text``."""

    kind: Literal["stop", "digit", "text"]
    value: str


_TSHEG_AND_SHAD = "་།༎ "


def read_reply(text: str, stop_words: tuple[str, ...] = DEFAULT_STOP_WORDS) -> Reply:
    """What a respondent's SMS says. A reply is a STOP only when the whole message is a stop
    word (give or take case, spaces, punctuation and Dzongkha's tsheg and shad), so that a
    complaint mentioning "stop" is not taken as a request never to be contacted."""
    cleaned = unicodedata.normalize("NFC", text).strip()
    bare = cleaned.strip(_TSHEG_AND_SHAD + ".!").replace(" ", "").upper()
    if bare in {word.replace(" ", "").upper().strip(_TSHEG_AND_SHAD) for word in stop_words}:
        return Reply("stop", bare)
    digits = _ascii_digit(cleaned.strip(".) "))
    if digits is not None:
        return Reply("digit", digits)
    return Reply("text", cleaned)


def _ascii_digit(text: str) -> str | None:
    """One digit, in ASCII or Tibetan script (༠–༩), as ASCII; None otherwise."""
    if len(text) != 1:
        return None
    value = unicodedata.digit(text, None)
    return None if value is None else str(value)


def back_off(attempts: int, *, first: timedelta = timedelta(seconds=30),
             cap: timedelta = timedelta(hours=1)) -> timedelta:
    """How long to wait before sending again after ``attempts`` failed tries: doubling from
    ``first``, never more than ``cap``."""
    wait: timedelta = first * (2 ** max(0, attempts - 1))
    return min(cap, wait)


class RateLimit:
    """At most ``per_second`` sends in any one-second window (operators' accounts are
    throttled; sending faster gets ``ESME_RTHROTTLED`` and wastes attempts). The caller passes
    the monotonic time, so tests need no sleeping."""

    def __init__(self, per_second: int) -> None:
        if per_second < 1:
            raise ValueError("per_second must be at least 1")
        self.per_second = per_second
        self._sent: list[float] = []

    def wait_before_next(self, now: float) -> float:
        """Seconds to wait before the next send may go (0: it may go now)."""
        self._sent = [t for t in self._sent if now - t < 1.0]
        if len(self._sent) < self.per_second:
            return 0.0
        return 1.0 - (now - self._sent[0])

    def sent(self, now: float) -> None:
        self._sent.append(now)


#: a case's channel plan (DESIGN.md §9.3)
CATI_ONLY: Final = "cati"
SMS_FIRST: Final = "sms_first"


def channel_plan(preferred: str | None, literate: bool | None, has_mobile: bool) -> str:
    """SMS first for a mobile number whose owner prefers SMS or the web, or is known to read;
    CATI only otherwise, and always without a mobile number (a landline takes no SMS) or when
    the person asked to be called. Unknown literacy with no preference stays CATI: an
    invitation someone cannot read delays the call by the whole SMS deadline."""
    if not has_mobile or preferred == "cati":
        return CATI_ONLY
    if preferred in ("sms", "web") or literate:
        return SMS_FIRST
    return CATI_ONLY
