"""A questionnaire with every item type the script runner shows, and the runner opened on it
for a case of the seeded store (tests/desktop/conftest.py)."""

from __future__ import annotations

from cati_app.core.questionnaire import Questionnaire, load_questionnaire
from cati_app.desktop.enumerator.interview_session import InterviewSession
from cati_app.desktop.enumerator.script_runner import ScriptRunner
from tests.desktop.helpers import WAIT_MS

CASE = 101
AT_MOST_TWO = {"en": "Pick at most two media.", "dz": "བརྡ་ལམ་གཉིས་ལས་མང་བ་མ་འཐུ།"}

DEFINITION = {
    "id": "types-test", "version": 1, "title": {"en": "Item types"},
    "languages": ["en", "dz"],
    "choice_lists": {
        "media": [{"name": "radio", "label": {"en": "Radio", "dz": "རེ་ཌིའོ།"}},
                  {"name": "tv", "label": {"en": "Television"}},
                  {"name": "phone", "label": {"en": "Phone"}},
                  {"name": "paper", "label": {"en": "Newspaper"}},
                  {"name": "dk", "label": {"en": "Don't know"}}],
        # unused by items: the questionnaire's own words for yes and no
        "yes_no": [{"name": "yes", "label": {"en": "Yes", "dz": "ཨིན།"}},
                   {"name": "no", "label": {"en": "No"}}],
    },
    "items": [
        {"name": "media", "type": "select_multiple", "choices": "media", "required": True,
         "label": {"en": "Where do you hear about services?"},
         "constraint": "count-selected(.) <= 2", "constraint_message": AT_MOST_TWO},
        {"name": "age", "type": "integer", "required": True, "min": 0, "max": 120,
         "label": {"en": "How old are you?"}, "constraint": ". >= 18",
         "constraint_message": {"en": "The respondent must be 18 or older."}},
        {"name": "fee", "type": "decimal", "required": True, "min": 0, "max": 1000,
         "label": {"en": "How much did you pay, in Ngultrum?"}},
        {"name": "agree", "type": "yes_no", "label": {"en": "Was the fee fair?"}},
        {"name": "thanks", "type": "note", "label": {"en": "Thank you."}},
    ],
}


def types_questionnaire() -> Questionnaire:
    return load_questionnaire(DEFINITION)


def open_runner(qtbot, controller, questionnaire: Questionnaire) -> ScriptRunner:
    case = controller.case(CASE)
    draft = controller.start_interview(case, questionnaire, language="en", phone_index=0)
    session = InterviewSession(controller, questionnaire, draft, controller.fill_context(case))
    runner = ScriptRunner(session, None)
    qtbot.addWidget(runner)
    runner.show()
    runner.activateWindow()
    qtbot.waitUntil(runner.isActiveWindow, timeout=WAIT_MS)
    return runner
