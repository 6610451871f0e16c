"""Where the shipped resources and Designer forms are, in a checkout and in an installed wheel."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def resource(*parts: str) -> Path:
    """A file under ``resources/`` (shipped as the package ``cati_app.resources``)."""
    return Path(str(files("cati_app.resources").joinpath(*parts)))


def ui_form(name: str) -> Path:
    """A Qt Designer form under ``ui/`` (shipped as the package ``cati_app.ui``)."""
    return Path(str(files("cati_app.ui").joinpath(name)))
