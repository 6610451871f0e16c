"""The SMS channel's settings, read from the environment with prefix ``CATI_SMS_`` (kept apart
from the server's own settings: only the SMS worker needs them). docs/deploy.md lists them."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from cati_app.core.sms import DEFAULT_STOP_WORDS
from cati_app.server.services.sms.gateways import (
    HttpAccount,
    HttpGateway,
    SmppAccount,
    SmppGateway,
    SmsGateway,
)
from cati_app.server.services.sms.mode_plan import SmsPlan


class SmsSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CATI_SMS_", extra="ignore")

    #: which gateway the worker sends through; "none" keeps messages queued
    gateway: Literal["none", "smpp", "http"] = "none"
    #: the sender the operator assigned: a short code, or an alphanumeric name of ≤ 11 letters
    sender: str = Field(default="RCSC", min_length=1, max_length=16)
    smpp_host: str = ""
    smpp_port: int = Field(default=2775, ge=1, le=65535)
    smpp_system_id: str = ""
    smpp_password: SecretStr = SecretStr("")
    smpp_system_type: str = ""
    http_url: str = ""
    http_token: SecretStr = SecretStr("")
    #: the operator's throttle: more per second get ESME_RTHROTTLED
    per_second: int = Field(default=10, ge=1, le=1000)
    #: tries before a message the gateway keeps refusing for a passing reason is given up
    max_attempts: int = Field(default=6, ge=1, le=50)
    #: whole-message replies taken as "never contact me again"
    stop_words: tuple[str, ...] = DEFAULT_STOP_WORDS
    #: SMS-first cases: the reminder goes this many days after the invitation, and without an
    #: answer by the deadline the case goes to the call queue
    reminder_after_days: float = Field(default=3.0, gt=0)
    deadline_days: float = Field(default=7.0, gt=0)
    invitation_text: str = Field(
        default="RCSC: you recently used {service}. Please tell us how it went: we will ask "
                "you a few questions. Reply STOP if you do not want to take part.",
        min_length=10, max_length=640)
    reminder_text: str = Field(
        default="RCSC: a reminder about your visit for {service}. Your answers help improve "
                "the service. Reply STOP if you do not want to take part.",
        min_length=10, max_length=640)

    @model_validator(mode="after")
    def _gateway_complete(self) -> SmsSettings:
        missing = {"smpp": ("smpp_host", "smpp_system_id"), "http": ("http_url",)}
        empty = [name for name in missing.get(self.gateway, ()) if not getattr(self, name)]
        if empty:
            raise ValueError(f"CATI_SMS_GATEWAY={self.gateway} needs "
                             + ", ".join(f"CATI_SMS_{name.upper()}" for name in empty))
        return self

    @property
    def plan(self) -> SmsPlan:
        return SmsPlan(reminder_after=timedelta(days=self.reminder_after_days),
                       deadline=timedelta(days=self.deadline_days),
                       invitation=self.invitation_text, reminder=self.reminder_text)

    @model_validator(mode="after")
    def _reminder_before_deadline(self) -> SmsSettings:
        if self.reminder_after_days >= self.deadline_days:
            raise ValueError("CATI_SMS_REMINDER_AFTER_DAYS must be less than "
                             "CATI_SMS_DEADLINE_DAYS, or the reminder is never sent")
        return self

    def make_gateway(self) -> SmsGateway | None:
        if self.gateway == "smpp":
            return SmppGateway(SmppAccount(
                host=self.smpp_host, port=self.smpp_port, system_id=self.smpp_system_id,
                password=self.smpp_password.get_secret_value(), source_addr=self.sender,
                system_type=self.smpp_system_type))
        if self.gateway == "http":
            return HttpGateway(HttpAccount(url=self.http_url,
                                           token=self.http_token.get_secret_value(),
                                           sender=self.sender))
        return None
