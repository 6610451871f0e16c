"""Complaint tickets' rules that need no database (issue 16, DESIGN.md §9.4): masking the
personal numbers in a complaint's text, sorting it into a category by keywords, reading a
complaint (and the call-back consent) out of an interview's answers, the ticket workflow and
reading a call-back's answer.

A ticket goes open → acknowledged → resolved, each change with a note. Going forward may skip
a step (open → resolved: the agency fixed it at once); the only step back is **reopen**
(resolved → open), for a problem that came back or a call-back that says it was not fixed.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final

from cati_app.core.questionnaire import Questionnaire, effective_answers, load_questionnaire
from cati_app.core.resources import resource
from cati_app.core.safe_text import PHONE_MASK, PHONE_MIN_DIGITS, clean_text

# --- categories ------------------------------------------------------------------------------

#: the fixed list, in the order the desktop and the web show it
CATEGORIES: tuple[str, ...] = (
    "delay", "staff_attitude", "integrity", "access", "information", "other")
CATEGORY_LABELS: dict[str, str] = {
    "delay": "Delay", "staff_attitude": "Staff attitude",
    "integrity": "Corruption / integrity", "access": "Access",
    "information": "Information", "other": "Other",
}

#: English keywords are matched at the start of a word (``delay`` finds "delayed"); Dzongkha
#: is written without spaces between words, so its keywords are matched anywhere. The
#: Dzongkha terms await a translator's review, like the script's Dzongkha text.
_KEYWORDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # checked in this order: a complaint of a bribe that also mentions waiting is integrity
    "integrity": (
        ("bribe", "brib", "corrupt", "unofficial", "under the table", "kickback",
         "extra money", "extra fee", "extra payment", "favouritism", "favoritism", "nepotism",
         "connection", "gift", "fraud", "asked for money", "chai-pani", "chai pani"),
        ("གནོད་འཛུགས", "ལག་ལྐོག", "ཁེ་ཕན", "ཉེས་སྤྱོད")),
    "staff_attitude": (
        ("rude", "impolite", "disrespect", "shout", "yell", "scold", "arrogant", "insult",
         "unfriendly", "unhelpful", "attitude", "behavio", "ignored", "harsh", "angry"),
        ("རྩུབ", "བརྙས", "ཁ་ངན", "གཤེ")),
    "delay": (
        ("delay", "late", "slow", "wait", "long time", "took weeks", "took months",
         "days to", "weeks", "months", "still not received", "not yet received", "pending",
         "queue", "postpone", "come back again", "again and again"),
        ("ཕྱི་འགྱངས", "ཡུན་རིང", "སྒུག")),
    "access": (
        ("far", "distance", "travel", "transport", "closed", "office hours", "no one at",
         "nobody at", "absent", "not available", "not in office", "online system", "website",
         "server down", "system down", "network", "disabled", "wheelchair", "ramp", "stairs"),
        ("ཐག་རིང", "ལམ་", "ཁ་བསྡམས")),
    "information": (
        ("information", "inform", "not told", "nobody told", "no one told", "unclear",
         "confus", "document", "requirement", "form", "procedure", "explain", "notice",
         "notif", "guidance", "what to bring"),
        ("བརྡ་དོན", "ཡིག་ཆ", "གསལ་བཤད")),
}
#: short English words that would find too much as a word's start ("far" in "farmer")
_WHOLE_WORDS = frozenset({"far", "form", "late", "gift"})


def _english(word: str) -> str:
    return r"(?<!\w)" + re.escape(word) + (r"s?(?!\w)" if word in _WHOLE_WORDS else "")


_PATTERNS: dict[str, re.Pattern[str]] = {
    category: re.compile("|".join([_english(word) for word in english]
                                  + [re.escape(word) for word in dzongkha]), re.IGNORECASE)
    for category, (english, dzongkha) in _KEYWORDS.items()}


def categorise(text: str) -> str:
    """The category whose keywords ``text`` holds (first of integrity, staff attitude, delay,
    access, information), else ``other``. A person may change it afterwards."""
    for category, pattern in _PATTERNS.items():
        if pattern.search(text):
            return category
    return "other"


def category_problem(category: str) -> str | None:
    if category in CATEGORIES:
        return None
    return f"unknown category {category!r}: use one of {', '.join(CATEGORIES)}"


# --- masking ---------------------------------------------------------------------------------

CID_MASK = "[CID]"
CID_DIGITS = 11
#: an ISO date (kept), or digits with what people put between them when they say a number:
#: wider than the exports' rule (safe_text), since a ticket goes to another organisation
_DATE_OR_DIGITS = re.compile(
    r"(?<!\w)(?P<date>(?:19|20)\d\d-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01]))(?!\w)"
    r"|(?:\+|\(\+?)?\d(?:[ .\-()/\u00a0]{0,3}\d)+\)?")
MAX_TEXT = 4000


def mask_numbers(text: str) -> str:
    """``text`` without the personal numbers people say in a complaint: a citizenship ID
    (11 digits) becomes ``[CID]``, a phone-like run of digits (``+975 17 12 34 56``,
    ``77123456``, ``02-323456``) ``[phone]``. Illegal characters are cleaned first."""
    def mask(match: re.Match[str]) -> str:
        run = match.group(0)
        digits = "".join(ch for ch in run if ch.isdigit())
        if match.group("date") or len(digits) < PHONE_MIN_DIGITS:
            return run
        # 975 17 12 34 56 has 11 digits too: a phone number with its country code
        if len(digits) == CID_DIGITS and not run.startswith(("+", "(")) and not (
                digits.startswith("975")):
            return CID_MASK
        return PHONE_MASK

    return _DATE_OR_DIGITS.sub(mask, clean_text(text))


def ticket_text(text: str) -> str:
    """What a ticket stores of a complaint: masked, trimmed and bounded."""
    return mask_numbers(text).strip()[:MAX_TEXT]


# --- from an interview -----------------------------------------------------------------------

#: the roles of the SET script's complaint items and the call-back questionnaire's
COMPLAINT, COMPLAINT_TEXT, CALLBACK_CONSENT = "complaint", "complaint_text", "complaint_callback"
FOLLOW_UP_FIXED, FOLLOW_UP_COMMENT = "follow_up_fixed", "follow_up_comment"
#: the shipped call-back script (resources/questionnaires/complaint_followup.json)
FOLLOW_UP_QUESTIONNAIRE: Final = "complaint_followup"
FOLLOW_UP_ANSWERS: dict[str, str] = {
    "yes": "fixed", "partly": "partly fixed", "no": "not fixed", "dk": "does not know"}


@dataclass(frozen=True)
class GivenComplaint:
    text: str  # masked
    consent_to_follow_up: bool


def might_hold_complaint(q: Questionnaire, answers: dict[str, Any]) -> bool:
    """A quick test with no skip logic: False means ``complaint_in`` finds nothing (most
    interviews carry no complaint, and the push checks every one)."""
    item = q.with_role(COMPLAINT)
    return item is not None and answers.get(item.name) == "yes"


def complaint_in(q: Questionnaire, answers: dict[str, Any]) -> GivenComplaint | None:
    """The complaint the answers lodge, read along the skip logic (a text left over from an
    earlier "yes" does not count); None when there is none or its text is empty."""
    if not might_hold_complaint(q, answers):
        return None
    effective = effective_answers(q, answers)
    said, text_item = q.with_role(COMPLAINT), q.with_role(COMPLAINT_TEXT)
    assert said is not None
    raw = effective.get(text_item.name) if text_item is not None else None
    if effective.get(said.name) != "yes" or not isinstance(raw, str) or not raw.strip():
        return None
    consent_item = q.with_role(CALLBACK_CONSENT)
    consent = consent_item is not None and effective.get(consent_item.name) == "yes"
    return GivenComplaint(ticket_text(raw), consent)


@dataclass(frozen=True)
class FollowUpAnswer:
    answer: str  # a key of FOLLOW_UP_ANSWERS
    comment: str  # masked

    def describe(self) -> str:
        said = FOLLOW_UP_ANSWERS.get(self.answer, self.answer)
        return said + (f": {self.comment}" if self.comment else "")


def follow_up_in(q: Questionnaire, answers: dict[str, Any]) -> FollowUpAnswer | None:
    """What the respondent said on a call-back, or None when the question was not answered
    (declined, broken off)."""
    fixed = q.with_role(FOLLOW_UP_FIXED)
    if fixed is None or answers.get(fixed.name) is None:
        return None
    effective = effective_answers(q, answers)
    answer = effective.get(fixed.name)
    if not isinstance(answer, str):
        return None
    comment_item = q.with_role(FOLLOW_UP_COMMENT)
    comment = effective.get(comment_item.name) if comment_item is not None else None
    return FollowUpAnswer(answer, ticket_text(comment) if isinstance(comment, str) else "")


# --- workflow --------------------------------------------------------------------------------

OPEN, ACKNOWLEDGED, RESOLVED = "open", "acknowledged", "resolved"
#: state → the states a change may lead to
_NEXT: dict[str, frozenset[str]] = {
    OPEN: frozenset({ACKNOWLEDGED, RESOLVED}),
    ACKNOWLEDGED: frozenset({RESOLVED}),
    RESOLVED: frozenset({OPEN}),  # reopen
}
MAX_NOTE = 2000


def next_states(current: str) -> tuple[str, ...]:
    """Where a ticket in ``current`` may go, in workflow order (what the pages offer)."""
    return tuple(s for s in (OPEN, ACKNOWLEDGED, RESOLVED) if s in _NEXT.get(current, ()))


def change_problem(current: str, wanted: str, note: str, *, category_changes: bool) -> str | None:
    """Why a change of a ticket in ``current`` to ``wanted`` with ``note`` is refused, or
    None. Keeping the state is allowed only to change the category."""
    if not note.strip():
        return "write a note saying what was done (every change of a ticket carries one)"
    if wanted == current:
        return None if category_changes else (
            f"the ticket is {current} already: reload it to see its latest state")
    if wanted not in _NEXT.get(current, frozenset()):
        allowed = ", ".join(sorted(_NEXT.get(current, frozenset()))) or "none"
        return (f"a ticket cannot go from {current} to {wanted}: from {current} it may go "
                f"to {allowed}")
    return None


# --- channels and the call-back script -------------------------------------------------------

#: where a complaint came from: an interview now; the web questionnaire, SMS and the open
#: feedback form later (each calls services.complaints.tickets.open_ticket)
CHANNELS: tuple[str, ...] = ("cati", "web", "sms", "open")
FOLLOW_UP_PATH = ("questionnaires", "complaint_followup.json")


@lru_cache(maxsize=1)
def follow_up_questionnaire() -> Questionnaire:
    """The shipped call-back script ("we were told you had this problem; has it been
    fixed?"). Cached: it is immutable."""
    with resource(*FOLLOW_UP_PATH).open(encoding="utf-8") as file:
        return load_questionnaire(json.load(file))
