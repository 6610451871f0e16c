"""``cati-server sms-worker`` as an operator runs it: a process that sends the queue through the
SMS centre named by CATI_SMS_* and stops cleanly on SIGTERM."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

from cati_app.core.clock import SystemClock
from cati_app.server.models import SmsOutbound
from cati_app.server.services.sms import outbox
from tests.support.cli import Cli
from tests.support.smsc import SmsCentre


def test_without_a_gateway_the_worker_says_which_setting_to_set(tmp_path: Path) -> None:
    cli = Cli(tmp_path)
    assert cli("init").returncode == 0
    result = cli("sms-worker")
    assert result.returncode == 2
    assert "CATI_SMS_GATEWAY" in result.stderr and "Traceback" not in result.stderr


def test_the_worker_sends_the_queue_and_stops_on_sigterm(tmp_path: Path) -> None:
    cli = Cli(tmp_path)
    assert cli("init").returncode == 0
    with cli.session() as session, session.begin():
        outbox.enqueue(session, phone="+97517123456", body="Please rate the service",
                       purpose="invitation", at=SystemClock().now())
    with SmsCentre() as smsc:
        env = cli.env | {"CATI_SMS_GATEWAY": "smpp", "CATI_SMS_SMPP_HOST": "127.0.0.1",
                         "CATI_SMS_SMPP_PORT": str(smsc.port),
                         "CATI_SMS_SMPP_SYSTEM_ID": "rcsc", "CATI_SMS_SMPP_PASSWORD": "secret"}
        worker = subprocess.Popen(cli.command("sms-worker"), env=env, text=True,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            submitted = smsc.wait_for_submits(1, timeout=30)
        finally:
            worker.send_signal(signal.SIGTERM)
            out, err = worker.communicate(timeout=30)
    assert worker.returncode == 0, err
    assert "sending SMS through smpp" in out
    assert [(s.destination, s.text) for s in submitted] == [
        ("97517123456", "Please rate the service")]
    with cli.session() as session:
        assert session.query(SmsOutbound.state).scalar() in {"sent", "delivered"}
