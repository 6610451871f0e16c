"""The script runner never lets an enumerator type an answer the server would refuse as too
long (issue 11: answers are bounded)."""

from __future__ import annotations

from cati_app.core.protocol import MAX_ANSWER_CHARS
from tests.desktop.test_script_runner_types import open_runner, questionnaire  # noqa: F401


def test_a_typed_answer_is_capped_at_the_servers_bound(qtbot, controller, questionnaire):  # noqa: F811
    runner = open_runner(qtbot, controller, questionnaire)
    assert runner.entry.maxLength() == MAX_ANSWER_CHARS
    runner.entry.setText("x" * (MAX_ANSWER_CHARS + 10))
    assert len(runner.entry.text()) == MAX_ANSWER_CHARS
