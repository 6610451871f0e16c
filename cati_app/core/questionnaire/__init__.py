"""The interviewer script: definition, safe skip-logic conditions, fill tags, navigation,
scoring and completion (DESIGN.md §3.5)."""

from cati_app.core.questionnaire.expressions import (
    Expression,
    ExpressionError,
    check_answer,
    evaluate,
    parse,
)
from cati_app.core.questionnaire.fills import FILL_TAGS, fill
from cati_app.core.questionnaire.model import (
    NON_SUBSTANTIVE,
    PARAMETERS,
    ROLES,
    SUBSTANTIVE,
    Choice,
    Item,
    Questionnaire,
)
from cati_app.core.questionnaire.navigation import (
    answer_problems,
    constraint_problem,
    effective_answers,
    next_item,
    previous_item,
    progress,
    visible_items,
)
from cati_app.core.questionnaire.normalise import normalise_answers
from cati_app.core.questionnaire.scoring import Scores, completion, score, to_100
from cati_app.core.questionnaire.validation import (
    QuestionnaireError,
    default_questionnaire,
    load_questionnaire,
)

__all__ = [
    "FILL_TAGS",
    "NON_SUBSTANTIVE",
    "PARAMETERS",
    "ROLES",
    "SUBSTANTIVE",
    "Choice",
    "Expression",
    "ExpressionError",
    "Item",
    "Questionnaire",
    "QuestionnaireError",
    "Scores",
    "answer_problems",
    "check_answer",
    "constraint_problem",
    "completion",
    "default_questionnaire",
    "effective_answers",
    "evaluate",
    "fill",
    "load_questionnaire",
    "next_item",
    "normalise_answers",
    "parse",
    "previous_item",
    "progress",
    "score",
    "to_100",
    "visible_items",
]
