"""The questionnaire definition (DESIGN.md §3.5): a versioned JSON document of items in script
order, choice lists, and text in several languages side by side.

These models check only shape (types, required fields). Everything that needs the whole
document at once (duplicate names, conditions, choice lists, roles) is checked by
``load_questionnaire`` in ``validation.py``, which reports all problems together; build
questionnaires through it rather than calling ``Questionnaire(...)`` directly.

Unknown fields are refused (``extra="forbid"``): a misspelt ``"relevnt"`` would otherwise
silently drop skip logic and corrupt data. A client too old for a newer questionnaire format
therefore refuses it instead of misapplying it; the sync protocol's minimum client version is
the place to force upgrades.
"""

from __future__ import annotations

from functools import cached_property
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

#: the five SET parameters, in reporting order
PARAMETERS: tuple[str, ...] = ("accessibility", "timeliness", "attitude", "integrity", "feedback")

#: indicator choice names: the substantive Likert points, then Don't know and Refused
SUBSTANTIVE: tuple[str, ...] = ("1", "2", "3", "4", "5")
NON_SUBSTANTIVE: tuple[str, ...] = ("dk", "ref")

#: roles mark the items the interview logic looks for, and the type each must have
ROLES: dict[str, str] = {
    "consent": "yes_no",
    "availed": "yes_no",
    "comment": "text",
    "complaint": "yes_no",
    "complaint_text": "text",
    #: may we call back to check the complaint was resolved (issue 16)
    "complaint_callback": "yes_no",
    #: the call-back script (complaint_followup.json): was it fixed, and a comment
    "follow_up_fixed": "select_one",
    "follow_up_comment": "text",
}

YES_NO: tuple[str, ...] = ("yes", "no")

ItemType = Literal[
    "note", "select_one", "select_multiple", "yes_no", "integer", "decimal", "text"]
#: the types that take their answer from a choice list
CHOICE_TYPES: tuple[str, ...] = ("select_one", "select_multiple")
#: the types whose answer is a number, bounded by min/max
NUMBER_TYPES: tuple[str, ...] = ("integer", "decimal")
#: language code → text, e.g. {"en": "...", "dz": "..."}
Texts = dict[str, str]


class _Definition(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Choice(_Definition):
    name: str = Field(min_length=1)
    label: Texts


class Item(_Definition):
    name: str = Field(min_length=1)
    type: ItemType
    label: Texts
    hint: Texts = {}
    #: XLSForm-style condition (see expressions.py); None: always asked
    relevant: str | None = None
    required: bool = False
    #: name of the choice list, for select_one and select_multiple
    choices: str | None = None
    #: the SET parameter an indicator item measures; None for other items
    parameter: str | None = None
    #: bounds of an integer or decimal answer (int stays int, so old JSON dumps unchanged)
    min: int | float | None = None
    max: int | float | None = None
    role: str | None = None
    #: XLSForm-style condition on the answer, ``.`` being the answer itself
    constraint: str | None = None
    #: what the enumerator is shown when the constraint fails
    constraint_message: Texts = {}

    @field_validator("relevant", "choices", "parameter", "role", "constraint", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        # XLSForm and hand-written JSON both leave "" in unused cells
        return None if isinstance(value, str) and not value.strip() else value

    @property
    def is_indicator(self) -> bool:
        return self.parameter is not None

    @property
    def takes_answer(self) -> bool:
        return self.type != "note"


class Memo:
    """Work derived from a questionnaire and kept with it. Never part of what it is: any two
    memos are equal, so a questionnaire that has been used equals a fresh copy."""

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value: object = None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Memo)

    __hash__ = None  # type: ignore[assignment]


class Questionnaire(_Definition):
    id: str = Field(min_length=1)
    version: int = Field(ge=1)
    title: Texts
    languages: list[str] = Field(min_length=1)
    default_language: str = "en"
    #: languages whose text awaits a translator's confirmation
    needs_review: list[str] = []
    choice_lists: dict[str, list[Choice]] = {}
    items: list[Item] = Field(min_length=1)
    #: relative weight of each parameter in the composite (issue 16); empty: all equal, and a
    #: parameter left out weighs 1. Reports print the weights in their methodology notes.
    #: Left out of the definition while empty: desktops of the release before it refuse
    #: unknown fields, and must keep reading every questionnaire that does not use weights.
    parameter_weights: dict[str, float] = Field(default={}, exclude_if=lambda w: not w)

    @field_validator("parameter_weights")
    @classmethod
    def _known_positive_weights(cls, weights: dict[str, float]) -> dict[str, float]:
        for parameter, weight in weights.items():
            if parameter not in PARAMETERS:
                raise ValueError(f"unknown parameter {parameter!r} in parameter_weights "
                                 f"(known: {', '.join(PARAMETERS)})")
            if not weight > 0:
                raise ValueError(f"the weight of {parameter!r} must be above 0 (got {weight})")
        return weights

    def weight_of(self, parameter: str) -> float:
        """The parameter's relative weight in the composite (1 unless the script says)."""
        return self.parameter_weights.get(parameter, 1.0)

    # Derived lookups are cached properties, not pydantic private attributes: a private
    # attribute is read through BaseModel.__getattr__ (~2 us), and the push reads these for
    # every answer of every interview. They live in the instance __dict__, which pydantic's
    # equality, dumps and hash ignore (only fields count).

    @cached_property
    def _positions(self) -> dict[str, int]:
        # first occurrence wins; duplicates are a load error anyway
        positions: dict[str, int] = {}
        for position, item in enumerate(self.items):
            positions.setdefault(item.name, position)
        return positions

    @cached_property
    def memo(self) -> Memo:
        """navigation.SkipLogic, made on first use (navigation.skip_logic)."""
        return Memo()

    def has_item(self, name: str) -> bool:
        return name in self._positions

    def item(self, name: str) -> Item:
        """The item called ``name``; KeyError for an unknown name."""
        return self.items[self._positions[name]]

    def index_of(self, name: str) -> int:
        """Position of the item in script order; KeyError for an unknown name."""
        return self._positions[name]

    @cached_property
    def _by_role(self) -> dict[str, Item]:
        by_role: dict[str, Item] = {}
        for item in self.items:
            if item.role is not None:
                by_role.setdefault(item.role, item)
        return by_role

    @cached_property
    def _indicators(self) -> tuple[Item, ...]:
        return tuple(item for item in self.items if item.is_indicator)

    def with_role(self, role: str) -> Item | None:
        return self._by_role.get(role)

    def indicators(self) -> list[Item]:
        return list(self._indicators)

    def choices_for(self, item: Item) -> list[Choice]:
        return self.choice_lists.get(item.choices or "", [])

    def text(self, texts: Texts, language: str) -> str:
        """Text in ``language``, falling back to the default language (English is complete;
        other languages may still be missing some text)."""
        return texts.get(language) or texts.get(self.default_language, "")
