"""The app factory the end-to-end tests hand to uvicorn (``--factory``): settings come from the
CATI_* environment the test sets for the server process."""

from __future__ import annotations

from fastapi import FastAPI

from cati_app.server.app import create_app
from cati_app.server.settings import load_settings


def make_app() -> FastAPI:
    return create_app(load_settings())
