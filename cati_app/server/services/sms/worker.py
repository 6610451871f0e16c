"""The SMS worker's loop (``cati-server sms-worker``): send what is due at the operator's rate,
then apply the receipts and replies the gateway collected, each in its own transaction."""

from __future__ import annotations

import logging
import threading
import time

from cati_app.core.sms import RateLimit
from cati_app.server.context import AppContext
from cati_app.server.services.sms import mode_plan, outbox
from cati_app.server.services.sms.gateways import SmsGateway
from cati_app.server.services.sms.settings import SmsSettings

log = logging.getLogger(__name__)


class SmsWorker:
    def __init__(self, ctx: AppContext, gateway: SmsGateway, settings: SmsSettings) -> None:
        self.ctx, self.gateway, self.settings = ctx, gateway, settings
        self.policy = outbox.SendPolicy(max_attempts=settings.max_attempts,
                                        rate=RateLimit(settings.per_second),
                                        monotonic=time.monotonic, sleep=time.sleep)

    def run_once(self) -> int:
        """One round: the SMS-first plans (invitations, reminders, deadlines), sends, then
        incoming. The number of messages the gateway took."""
        with self.ctx.transaction() as session:
            mode_plan.advance(session, self.settings.plan, self.ctx.clock.now())
        sent = outbox.send_due(self.ctx.transaction, self.gateway, self.policy,
                               self.ctx.clock.now, limit=self.settings.per_second * 5)
        for incoming in self.gateway.collect():
            with self.ctx.transaction() as session:
                outbox.apply_incoming(session, incoming, self.ctx.clock.now(),
                                      self.settings.stop_words)
        return sent

    def run(self, stop: threading.Event, idle_seconds: float = 1.0) -> None:
        try:
            while not stop.is_set():
                if self.run_once() == 0:
                    stop.wait(idle_seconds)
        finally:
            self.gateway.close()
