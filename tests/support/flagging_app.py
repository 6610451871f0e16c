"""An app factory for browser tests of how flags are shown: the real app, whose scorecard
service additionally flags every cell of the office ``FLAGGED_OFFICE`` below its peers.

Whether an office deserves a flag is the estimator's business (tested with it); this lets the
browser tests check, whatever estimator is in place, that a flag the service reports is drawn
on the page, in the table and on the chart. The web routes and the API reach the service
through its module (``scorecard.build_scorecard``), so replacing it there is enough."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from cati_app.core.protocol_scorecard import Flag, Scorecard
from cati_app.server.app import create_app
from cati_app.server.services.reporting import scorecard
from cati_app.server.settings import load_settings

FLAGGED_OFFICE = "Paro DCRC"


def make_app() -> FastAPI:
    real = scorecard.build_scorecard

    def flagging(*args: Any, **kwargs: Any) -> Scorecard:
        card = real(*args, **kwargs)
        for cell in card.cells:
            if cell.office == FLAGGED_OFFICE and not cell.flags:
                cell.flags.append(Flag(kind="below_peers", difference=-0.85, q_value=0.004,
                                       compared_with="same service, other offices"))
        return card

    scorecard.build_scorecard = flagging  # type: ignore[assignment]
    return create_app(load_settings())
