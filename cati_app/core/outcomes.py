"""The outcome catalogue: what an enumerator can code for a call, per DESIGN.md §3.2.

AAPOR codes alone do not identify an outcome here (soft and hard refusal are both 2.112, an
appointment and "respondent not available" both 2.21), so every outcome has a stable ``key``;
the wire protocol and the database carry the key, and the AAPOR code is looked up from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum


class Bucket(StrEnum):
    """AAPOR rate buckets: I complete, P partial, R refusal/break-off, NC non-contact,
    O other eligible, UH unknown household (here: unknown if the number reaches the person),
    UR unknown respondent, UO unknown other, NE not eligible."""

    I = "I"  # noqa: E741 - the AAPOR name
    P = "P"
    R = "R"
    NC = "NC"
    O = "O"  # noqa: E741 - the AAPOR name
    UH = "UH"
    UR = "UR"
    UO = "UO"
    NE = "NE"


@dataclass(frozen=True, slots=True)
class Outcome:
    key: str
    aapor_code: str
    label: str
    bucket: Bucket
    final: bool
    #: None: no automatic retry (final, derived from answers, or timed by an appointment)
    retry_delay: timedelta | None
    try_next_number: bool
    #: True: the respondent is known to be eligible; False: known not eligible; None: unknown
    eligible: bool | None
    needs_note: bool
    #: the key the enumerator presses in the outcome picker ("" for derived outcomes)
    shortcut: str
    #: a temporary outcome that may happen only once; the second time it becomes final
    once: bool = False
    #: set by the interview itself (complete/partial/break-off), never picked by hand
    derived: bool = False
    #: the appointment outcome: the retry time is the agreed time
    books_appointment: bool = False
    #: the respondent asked never to be called: the number dialled goes on the do-not-call
    #: register when the call reaches the server (issue 15)
    do_not_call: bool = False
    #: set by the server when it withdraws a case (a number put on the do-not-call register),
    #: never picked by hand nor pushed by a device
    server_only: bool = False
    #: "needs a speaker of another language" (issue 18): the call names the respondent's
    #: language, the case takes it and goes back to the queue at once for someone who speaks
    #: it. A reached respondent is not a failed try: it spares the attempt cap.
    refers_language: bool = False


H = timedelta(hours=1)

OUTCOMES: tuple[Outcome, ...] = (
    Outcome("complete", "1.1", "Complete", Bucket.I, True, None, False, True, False, "",
            derived=True),
    Outcome("partial", "1.2", "Partial", Bucket.P, True, None, False, True, False, "",
            derived=True),
    Outcome("break_off", "2.12", "Break-off", Bucket.R, True, None, False, True, True, "",
            derived=True),
    Outcome("appointment", "2.21", "Appointment (call back)", Bucket.NC, False, None, False,
            True, False, "A", books_appointment=True),
    Outcome("soft_refusal", "2.112", "Soft refusal", Bucket.R, False, timedelta(days=7), False,
            True, True, "F", once=True),
    Outcome("hard_refusal", "2.112", "Hard refusal (respondent)", Bucket.R, True, None, False,
            True, True, "H"),
    Outcome("never_call", "2.112", "Never call me (do-not-call register)", Bucket.R, True, None,
            False, True, False, "R", do_not_call=True),
    Outcome("refusal_other", "2.111", "Hard refusal (other person)", Bucket.R, True, None, False,
            True, True, "O"),
    Outcome("no_answer", "3.13", "No answer", Bucket.UH, False, 3 * H, False, None, False, "N"),
    Outcome("busy", "3.12", "Busy", Bucket.UH, False, timedelta(minutes=15), False, None, False,
            "B"),
    Outcome("unreachable", "3.16", "Switched off / not reachable", Bucket.UH, False, 2 * H,
            False, None, False, "S"),
    Outcome("voicemail", "2.22", "Voicemail naming the respondent", Bucket.NC, False, 3 * H,
            False, True, False, "V"),
    Outcome("not_available", "2.21", "Respondent not available", Bucket.NC, False, 3 * H, False,
            True, False, "U"),
    Outcome("wrong_number", "2.20", "Wrong number / person unknown / disconnected", Bucket.NC,
            False, None, True, True, True, "W"),
    Outcome("language_barrier", "2.33", "Language barrier", Bucket.O, True, None, False, True,
            True, "L"),
    # AAPOR 2.33 (language) as above, but temporary: another enumerator may yet interview
    Outcome("language_needed", "2.33", "Language barrier: needs a speaker of another language",
            Bucket.O, False, None, False, True, False, "G", refers_language=True),
    Outcome("unable", "2.32", "Physically or mentally unable", Bucket.O, True, None, False, True,
            True, "I"),
    Outcome("deceased", "2.31", "Deceased", Bucket.O, True, None, False, True, True, "D"),
    Outcome("not_user", "4.10", "Not a user of this service", Bucket.NE, True, None, False, False,
            True, "X"),
    Outcome("duplicate", "4.90", "Duplicate listing", Bucket.NE, True, None, False, False, True,
            "P"),
    # A case withdrawn because all its numbers went on the do-not-call register, never called
    # again: a refusal when the number's owner asked (by phone, SMS STOP or a request to RCSC;
    # AAPOR 2.11, a refusal without saying whether the respondent or another person answered),
    # otherwise "other" (2.30: eligible, not interviewed for another reason).
    Outcome("register_refusal", "2.11", "Refusal: asked not to be called (do-not-call register)",
            Bucket.R, True, None, False, True, False, "", server_only=True),
    Outcome("register_other", "2.30", "Other: number put on the do-not-call register",
            Bucket.O, True, None, False, True, False, "", server_only=True),
)

BY_KEY: dict[str, Outcome] = {o.key: o for o in OUTCOMES}

#: the bucket of every AAPOR code we use (several keys may share a code; they share the bucket)
BUCKET_OF_CODE: dict[str, Bucket] = {o.aapor_code: o.bucket for o in OUTCOMES}


class UnknownOutcome(ValueError):
    pass


def outcome(key: str) -> Outcome:
    try:
        return BY_KEY[key]
    except KeyError:
        raise UnknownOutcome(
            f"unknown outcome {key!r}; expected one of {', '.join(sorted(BY_KEY))}"
        ) from None


def pickable() -> tuple[Outcome, ...]:
    """Outcomes the enumerator can pick by hand, in catalogue order."""
    return tuple(o for o in OUTCOMES if not o.derived and not o.server_only)


def by_shortcut(key_char: str) -> Outcome | None:
    key_char = key_char.upper()
    return next((o for o in pickable() if o.shortcut == key_char), None)
