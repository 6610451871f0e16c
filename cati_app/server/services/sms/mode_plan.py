"""The SMS leg of an SMS-first case (issue 17, DESIGN.md §9.3), a sequential mixed-mode design:
an invitation, one reminder after ``reminder_after``, and at ``deadline`` without an answer the
case goes to the CATI queue. An invitation the operator cannot deliver sends the case to the
call queue at once: waiting out the deadline for a message that never arrived only delays the
call.

While it waits, the case is *held* by the SMS channel's account (``accounts.channels``): the
sample import hands SMS-first cases to it before it commits (``hand_batch_to_sms``), so no claim
ever sees one queued; ``advance`` (every round of the SMS worker) invites, reminds, and returns
cases to the pool at their deadline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from cati_app.core.phones import is_mobile
from cati_app.core.sms import SMS_FIRST
from cati_app.server.audit import audit
from cati_app.server.models import (
    Assignment,
    Case,
    CaseState,
    Service,
    SmsContact,
    SmsOutbound,
    SmsState,
    User,
)
from cati_app.server.services.accounts.channels import channel_user_id, username
from cati_app.server.services.cases import assignments
from cati_app.server.services.cases.do_not_call import blocked_numbers
from cati_app.server.services.sms import outbox

#: the device id channel work is recorded under (a case held by the channel is held on it)
SMS_DEVICE = "sms"
WAITING, MOVED = "waiting", "moved"
#: cases started or moved per round, so one round stays a short transaction
BATCH = 500


@dataclass(frozen=True)
class SmsPlan:
    reminder_after: timedelta
    deadline: timedelta
    #: ``{service}`` is replaced by the service's name
    invitation: str
    reminder: str


@dataclass
class Advanced:
    invited: int = 0
    reminded: int = 0
    moved: int = 0


def hand_batch_to_sms(session: Session, batch_id: int, *, at: datetime, by: int | None) -> int:
    """Give a just-imported batch's SMS-first cases to the SMS channel, in two statements
    (an import may bring 100,000 rows); how many."""
    sms_first = (Case.batch_id == batch_id, Case.channel_plan == SMS_FIRST,
                 Case.state == CaseState.QUEUED)
    if session.scalar(select(Case.id).where(*sms_first).limit(1)) is None:
        return 0  # most call lists: no SMS channel account is made for them
    channel = channel_user_id(session, "sms", at)
    handed = session.execute(
        update(Case).where(*sms_first)
        .values(state=CaseState.HELD, holder_id=channel, holder_device=SMS_DEVICE,
                assignment_version=Case.assignment_version + 1, updated_at=at)
        .returning(Case.id, Case.assignment_version)).all()
    if handed:
        session.execute(insert(Assignment), [
            {"case_id": case_id, "version": version, "user_id": channel,
             "device_id": SMS_DEVICE, "started_at": at} for case_id, version in handed])
        audit(session, at=at, user_id=by, action="sms.hand_batch", entity="sample_batch",
              entity_id=batch_id, details={"cases": len(handed)})
    return len(handed)


def advance(session: Session, plan: SmsPlan, now: datetime) -> Advanced:
    done = Advanced()
    for case in _not_yet_invited(session, now):
        done.invited += invite(session, case, plan, now)
    for contact in _reminders_due(session, now):
        _remind(session, contact, plan, now)
        done.reminded += 1
    for contact, reason in _leaving(session, now):
        move_to_cati(session, contact, now, reason)
        done.moved += 1
    return done


def invite(session: Session, case: Case, plan: SmsPlan, now: datetime) -> int:
    """Send the invitation; 1 when sent, 0 when the case has no mobile number that may be
    texted (it goes straight to the call queue)."""
    blocked = blocked_numbers(session, case.phones())
    mobile = next((p for p in case.phones() if is_mobile(p) and p not in blocked), None)
    if mobile is None:
        _to_queue(session, case, now, "no mobile number that may be texted")
        return 0
    assert case.holder_id is not None
    message = outbox.enqueue(session, phone=mobile, purpose="invitation", case_id=case.id,
                             at=now, body=_text(session, plan.invitation, case))
    session.add(SmsContact(case_id=case.id, phone=mobile, state=WAITING,
                           assignment_version=case.assignment_version,
                           invitation_id=message.id if message else None, invited_at=now,
                           reminder_due_at=now + plan.reminder_after,
                           deadline_at=now + plan.deadline, moved_reason=""))
    audit(session, at=now, user_id=None, action="sms.invite", entity="case",
          entity_id=case.id, details={"deadline": (now + plan.deadline).isoformat()})
    return 1


def move_to_cati(session: Session, contact: SmsContact, now: datetime, reason: str) -> None:
    contact.state, contact.moved_at, contact.moved_reason = MOVED, now, reason[:200]
    case = session.get_one(Case, contact.case_id, with_for_update=True)
    # only while the channel still holds what it was given: a case closed meanwhile (an
    # opt-out) or taken by a supervisor stays where it is
    if case.state == CaseState.HELD and case.holder_device == SMS_DEVICE \
            and case.assignment_version == contact.assignment_version:
        _to_queue(session, case, now, reason)


def _to_queue(session: Session, case: Case, now: datetime, reason: str) -> None:
    assignments.return_to_pool(session, case, at=now, by=case.holder_id,
                               device_id=SMS_DEVICE, reason=f"SMS channel: {reason}")
    case.plan_reason = f"to the call queue: {reason}"[:200]
    audit(session, at=now, user_id=None, action="sms.to_cati", entity="case",
          entity_id=case.id, details={"reason": reason})


def _not_yet_invited(session: Session, now: datetime) -> list[Case]:
    channel = session.scalar(select(User.id).where(User.username == username("sms")))
    if channel is None:
        return []
    return list(session.scalars(
        select(Case).where(Case.state == CaseState.HELD, Case.holder_id == channel,
                           Case.holder_device == SMS_DEVICE,
                           ~select(SmsContact.case_id).where(SmsContact.case_id == Case.id)
                           .exists())
        .order_by(Case.id).limit(BATCH).with_for_update(skip_locked=True)))


def _reminders_due(session: Session, now: datetime) -> list[SmsContact]:
    return list(session.scalars(
        select(SmsContact).where(SmsContact.state == WAITING, SmsContact.reminded_at.is_(None),
                                 SmsContact.reminder_due_at <= now,
                                 SmsContact.deadline_at > now)
        .order_by(SmsContact.case_id).limit(BATCH).with_for_update(skip_locked=True)))


def _remind(session: Session, contact: SmsContact, plan: SmsPlan, now: datetime) -> None:
    case = session.get_one(Case, contact.case_id)
    message = outbox.enqueue(session, phone=contact.phone, purpose="reminder", at=now,
                             case_id=case.id, body=_text(session, plan.reminder, case))
    contact.reminded_at, contact.reminder_id = now, message.id if message else None


def _leaving(session: Session, now: datetime) -> list[tuple[SmsContact, str]]:
    """Waiting contacts whose deadline passed, or whose invitation could not be delivered."""
    past_deadline = session.scalars(
        select(SmsContact).where(SmsContact.state == WAITING, SmsContact.deadline_at <= now)
        .order_by(SmsContact.case_id).limit(BATCH).with_for_update(skip_locked=True)).all()
    undelivered = session.scalars(
        select(SmsContact).join(SmsOutbound, SmsOutbound.id == SmsContact.invitation_id)
        .where(SmsContact.state == WAITING, SmsContact.deadline_at > now,
               SmsOutbound.state.in_((SmsState.UNDELIVERABLE, SmsState.FAILED,
                                      SmsState.EXPIRED)))
        .order_by(SmsContact.case_id).limit(BATCH).with_for_update(skip_locked=True)).all()
    return ([(c, "no answer to the SMS by the deadline") for c in past_deadline]
            + [(c, "the SMS invitation could not be delivered") for c in undelivered])


def _text(session: Session, template: str, case: Case) -> str:
    service = session.get_one(Service, case.service_id)
    return template.replace("{service}", service.name)
