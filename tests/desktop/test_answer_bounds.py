"""The script runner never lets an enumerator type an answer the server would refuse as too
long (issue 11: answers are bounded)."""

from __future__ import annotations

from cati_app.core.protocol import MAX_ANSWER_CHARS
from tests.desktop.script_runner_helpers import open_runner, types_questionnaire


def test_a_typed_answer_is_capped_at_the_servers_bound(qtbot, controller):
    runner = open_runner(qtbot, controller, types_questionnaire())
    assert runner.entry.maxLength() == MAX_ANSWER_CHARS
    runner.entry.setText("x" * (MAX_ANSWER_CHARS + 10))
    assert len(runner.entry.text()) == MAX_ANSWER_CHARS
