"""The background runner drops replies whose widget is gone, and everything after closing."""

from __future__ import annotations

import threading

import shiboken6
from PySide6.QtCore import QThreadPool
from PySide6.QtWidgets import QLabel

from cati_app.desktop.worker import BackgroundRunner

WAIT_MS = 3000


def gated_task(gate: threading.Event, value: str = "reply"):
    def task() -> str:
        assert gate.wait(5), "the test never opened the gate"
        return value

    return task


def test_reply_reaches_a_living_owner(qtbot) -> None:
    runner = BackgroundRunner(QThreadPool())
    label = QLabel()
    qtbot.addWidget(label)
    runner.run(lambda: "hello", label.setText, lambda error: None, owner=label)
    qtbot.waitUntil(lambda: runner.busy == 0, timeout=WAIT_MS)
    assert label.text() == "hello"


def test_failure_reaches_a_living_owner(qtbot) -> None:
    runner = BackgroundRunner(QThreadPool())
    errors: list[BaseException] = []

    def boom() -> None:
        raise ValueError("server said no")

    label = QLabel()
    qtbot.addWidget(label)
    runner.run(boom, lambda _result: None, errors.append, owner=label)
    qtbot.waitUntil(lambda: runner.busy == 0, timeout=WAIT_MS)
    assert [str(e) for e in errors] == ["server said no"]


def test_reply_for_a_deleted_owner_is_dropped(qtbot) -> None:
    runner = BackgroundRunner(QThreadPool())
    gate = threading.Event()
    label = QLabel()
    delivered: list[str] = []

    def deliver(text: str) -> None:
        delivered.append(text)
        label.setText(text)  # would raise on a deleted label

    runner.run(gated_task(gate), deliver, lambda error: delivered.append(repr(error)),
               owner=label)
    shiboken6.delete(label)  # the dialog closed while the request was on its way
    gate.set()
    qtbot.waitUntil(lambda: runner.busy == 0, timeout=WAIT_MS)
    assert delivered == []


def test_nothing_is_delivered_after_the_runner_closed(qtbot) -> None:
    runner = BackgroundRunner(QThreadPool())
    gate = threading.Event()
    delivered: list[str] = []
    runner.run(gated_task(gate), delivered.append, lambda error: None)
    threading.Timer(0.05, gate.set).start()
    runner.close()  # as on application quit: waits for the task, then drops its reply
    qtbot.wait(50)
    assert delivered == [] and runner.busy == 0
    runner.run(lambda: "late", delivered.append, lambda error: None)
    qtbot.wait(50)
    assert delivered == []


def test_the_task_function_is_let_go_on_the_ui_thread(qtbot) -> None:
    """What a task's function refers to (a dialog, a page) must not be freed on the worker
    thread: Qt widgets destroyed there crash the app. The worker drops its reference before
    it reports, so the last one is released on the UI thread."""
    import gc
    import threading
    import weakref

    from cati_app.desktop.worker import BackgroundRunner

    released_on: list[str] = []

    class Held:
        def __del__(self) -> None:
            released_on.append(threading.current_thread().name)

    held = Held()
    probe = weakref.ref(held)
    runner = BackgroundRunner()
    done: list[object] = []

    def job(kept: Held = held) -> str:
        return "ok"

    del held
    runner.run(job, done.append, done.append)
    del job
    qtbot.waitUntil(lambda: done == ["ok"], timeout=5000)
    gc.collect()
    assert probe() is None
    assert released_on == [threading.main_thread().name]
