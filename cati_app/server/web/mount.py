"""Adds the web scorecard to the app: its pages, its stylesheet and the Dzongkha font, all
served from the installed package (the server works with no internet access)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from cati_app.core.resources import resource
from cati_app.server.web import routes, ticket_pages


def mount_scorecard_pages(app: FastAPI) -> None:
    app.include_router(routes.router)
    app.include_router(ticket_pages.router)
    app.mount("/scorecard/static", StaticFiles(directory=routes.HERE / "static"),
              name="scorecard-static")
    app.mount("/scorecard/fonts", StaticFiles(directory=resource("fonts")),
              name="scorecard-fonts")
