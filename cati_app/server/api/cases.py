"""Supervisor routes: the case table, assignment, priority, conflicts and interview review."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from sqlalchemy.orm import Session

from cati_app.core.protocol_supervision import ReviewList
from cati_app.server.deps import Ctx, Supervisor
from cati_app.server.errors import error_responses
from cati_app.server.models import Case, InterviewVersion, User
from cati_app.server.schemas import (
    MAX_MATCHING_CASES,
    AssignRequest,
    AssignResponse,
    CasePage,
    CaseStateName,
    ConflictDetail,
    ConflictList,
    MatchingCases,
    PhoneRevealRequest,
    PriorityRequest,
    PriorityResponse,
    QuarantineList,
    QuarantineRow,
    QuarantineStatus,
    RejectRequest,
    ReleasedList,
    ResolveRequest,
    RevealedPhones,
    ReviewRequest,
    ReviewResponse,
    SettleRequest,
)
from cati_app.server.services.accounts.identity import CurrentUser
from cati_app.server.services.cases import attention, privacy, supervision
from cati_app.server.services.cases.case_views import CaseFilter, list_cases, matching_cases
from cati_app.server.services.cases.supervision import Actor

ERRORS = error_responses(401, 403, 404, 409, 422)
router = APIRouter(prefix="/v1", tags=["supervision"], responses=ERRORS)


def _actor(ctx: Ctx, user: CurrentUser) -> Actor:
    return Actor(user_id=user.id, device_id=user.device_id, at=ctx.clock.now())


def case_filter(
    state: CaseStateName | None = None,
    holder: Annotated[str | None, Query(max_length=64, description="username")] = None,
    service: Annotated[str | None, Query(max_length=32, description="service code")] = None,
    batch: Annotated[int | None, Query(description="call list (sample batch) id")] = None,
    text: Annotated[str | None, Query(
        max_length=200, description="a case id (a bare number), or part of the respondent's "
        "name, office or dzongkhag")] = None,
) -> CaseFilter:
    """The case table's filters, the same for a page and for "every case matching"."""
    return CaseFilter(state=state, holder=holder, service=service, batch=batch, text=text)


Filters = Annotated[CaseFilter, Depends(case_filter)]


@router.get("/cases", response_model=CasePage)
def cases(ctx: Ctx, _user: Supervisor, where: Filters,
          limit: Annotated[int, Query(ge=1, le=500)] = 100,
          offset: Annotated[int, Query(ge=0)] = 0) -> CasePage:
    """Cases in id order with the total matching the filters (for paging)."""
    with ctx.transaction() as session:
        return list_cases(session, where, limit=limit, offset=offset)


@router.get("/cases/matching", response_model=MatchingCases)
def matching(ctx: Ctx, _user: Supervisor, where: Filters) -> MatchingCases:
    """Every case the filters match, without personal data, for a change to all of them (up
    to 100,000; ``total`` says when there are more)."""
    with ctx.read() as session:
        return matching_cases(session, where, cap=MAX_MATCHING_CASES)


@router.get("/cases/released", response_model=ReleasedList)
def released_cases(ctx: Ctx, _user: Supervisor,
                   limit: Annotated[int, Query(ge=1, le=1000)] = 500) -> ReleasedList:
    """Cases enumerators gave back (with their reasons), still in the pool: to reassign."""
    with ctx.read() as session:
        return attention.released_cases(session, limit=limit)


@router.get("/quarantine", response_model=QuarantineList)
def quarantine(ctx: Ctx, _user: Supervisor, status: QuarantineStatus = "open",
               limit: Annotated[int, Query(ge=1, le=500)] = 100,
               offset: Annotated[int, Query(ge=0)] = 0) -> QuarantineList:
    """Items the server refused and kept as sent, newest first, with the reason."""
    with ctx.read() as session:
        return attention.list_quarantine(session, status, limit=limit, offset=offset)


@router.post("/quarantine/{item_id}/settle", response_model=QuarantineRow)
def settle_quarantined(ctx: Ctx, user: Supervisor, item_id: int,
                       body: SettleRequest) -> QuarantineRow:
    """Mark an item resolved or dismissed (audited); 409 when it was settled already."""
    with ctx.transaction() as session:
        return attention.settle(session, _actor(ctx, user), item_id, body.settlement, body.note)


@router.post("/cases/{case_id}/phones", response_model=RevealedPhones)
def reveal_phones(ctx: Ctx, user: Supervisor, case_id: int,
                  body: PhoneRevealRequest) -> RevealedPhones:
    """A case's phone numbers in full (lists show them masked). The reason is required and the
    request is audited (``case.phones_revealed``)."""
    with ctx.transaction() as session:
        phones = privacy.reveal_phones(session, _actor(ctx, user), case_id, body.reason)
    return RevealedPhones(case_id=case_id, phones=phones)


@router.post("/cases/assign", response_model=AssignResponse)
def assign(body: AssignRequest, ctx: Ctx, user: Supervisor
           ) -> AssignResponse:
    """Give cases to an enumerator (``to_user``) or back to the pool (null). Taking a case
    from the enumerator who holds it needs ``force`` and a ``reason``; that enumerator's
    device is told through its feed. One result per case."""
    with ctx.transaction() as session:
        results = supervision.assign_cases(session, _actor(ctx, user), body.case_ids, body.to_user,
                                           force=body.force, reason=body.reason)
        return AssignResponse(results=results)


@router.post("/cases/priority", response_model=PriorityResponse)
def priority(body: PriorityRequest, ctx: Ctx, user: Supervisor
             ) -> PriorityResponse:
    with ctx.transaction() as session:
        changed = supervision.set_priority(session, _actor(ctx, user), body.case_ids, body.priority)
        return PriorityResponse(changed=changed)


@router.get("/conflicts", response_model=ConflictList)
def conflicts(
    ctx: Ctx, _user: Supervisor,
    status: Literal["open", "resolved"] = "open",
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> ConflictList:
    with ctx.transaction() as session:
        total, rows = supervision.list_conflicts(session, status, limit=limit, offset=offset)
        return ConflictList(total=total, conflicts=rows)


@router.get("/conflicts/{conflict_id}", response_model=ConflictDetail)
def conflict(conflict_id: int, ctx: Ctx, _user: Supervisor) -> ConflictDetail:
    """Both (or all) versions side by side: enumerator, times, completion and answers."""
    with ctx.transaction() as session:
        return supervision.conflict_detail(session, conflict_id)


@router.post("/conflicts/{conflict_id}/resolve", response_model=ConflictDetail)
def resolve(conflict_id: int, body: ResolveRequest, ctx: Ctx, user: Supervisor) -> ConflictDetail:
    """Make one version the primary interview of the case (a case waiting for the
    supervisor is closed with that interview's disposition, or else returned to the pool),
    or confirm or dismiss a former holder's late final outcome (``decision``)."""
    with ctx.transaction() as session:
        supervision.resolve_conflict(session, _actor(ctx, user), conflict_id,
                                     primary_version_uuid=body.primary_version_uuid,
                                     resolution=body.resolution, rules=ctx.rules,
                                     decision=body.decision)
        session.flush()
        return supervision.conflict_detail(session, conflict_id)


@router.get("/interviews", response_model=ReviewList)
def interviews_for_review(
    ctx: Ctx, _user: Supervisor,
    review_status: Literal["pending", "approved", "rejected"] = "pending",
    service: Annotated[str | None, Query(max_length=32, description="service code")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> ReviewList:
    """The primary interview versions with this review status, oldest received first, with
    their answers (to read before approving or sending back) and the total for paging."""
    with ctx.transaction() as session:
        total, rows = supervision.list_for_review(session, review_status, service,
                                                  limit=limit, offset=offset)
        return ReviewList(total=total, interviews=rows)


@router.post("/interviews/{interview_uuid}/approve", response_model=ReviewResponse)
def approve(interview_uuid: str, ctx: Ctx, user: Supervisor,
            body: ReviewRequest | None = None) -> ReviewResponse:
    with ctx.transaction() as session:
        version = supervision.approve(session, _actor(ctx, user), interview_uuid,
                                      body.comment if body else "")
        return _review(session, version.case_id, version)


@router.post("/interviews/{interview_uuid}/reject", response_model=ReviewResponse)
def reject(interview_uuid: str, body: RejectRequest, ctx: Ctx, user: Supervisor) -> ReviewResponse:
    """Send the primary version back to the enumerator who made it, for correction."""
    with ctx.transaction() as session:
        version, _case = supervision.reject(session, _actor(ctx, user), interview_uuid,
                                            body.comment)
        return _review(session, version.case_id, version)


def _review(session: Session, case_id: int, version: InterviewVersion) -> ReviewResponse:
    case = session.get_one(Case, case_id)
    holder = session.get(User, case.holder_id) if case.holder_id is not None else None
    return ReviewResponse(interview_uuid=version.interview_uuid,
                          version_uuid=version.version_uuid,
                          review_status=version.review_status, case_id=case.id,
                          case_state=case.state, holder=holder.username if holder else None)
