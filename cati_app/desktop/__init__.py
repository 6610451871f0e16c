"""The PySide6 desktop client: one room per role, shared pages, background work."""

import os

# pyqtgraph (the dashboard's charts) picks the first Qt binding it can import: make it ours
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
