"""Demo data: the two pilot services, one user per role, the default questionnaire and a
realistic call list of about 300 people, imported through the real sample import.

Every step is idempotent: running the demo twice adds nothing the second time. The sample is
drawn from a seeded random generator, so every demo database looks the same apart from dates
(which follow the clock: services were availed in the two weeks before "now").
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from argon2 import PasswordHasher
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from cati_app.core.clock import to_thimphu
from cati_app.core.protocol import Role
from cati_app.core.protocol_sampling import DrawRequest
from cati_app.core.questionnaire import default_questionnaire
from cati_app.core.resources import resource
from cati_app.server.errors import Conflict
from cati_app.server.models import (
    Case,
    QuestionnaireVersion,
    SampleBatch,
    SampleFrame,
    Service,
    User,
)
from cati_app.server.services.accounts import channels, users
from cati_app.server.services.cases.sample_import import COLUMNS, import_sample
from cati_app.server.services.cases.sample_readers import read_whole, sheet_from_records
from cati_app.server.services.catalogue import catalogue
from cati_app.server.services.complaints.demo_tickets import seed_complaints
from cati_app.server.services.ops.demo_history import HISTORY_BATCH, seed_history
from cati_app.server.services.sampling.draws import make_draw
from cati_app.server.services.sampling.frames import import_frame
from cati_app.server.services.sampling.replicates import release

DEMO_PASSWORD = "serve-demo"
AGENCY = "Department of Civil Registration and Census"
SERVICES = (
    ("CID", "Issuance of New CID Card", 180),
    ("MIMO", "Move-in/Move-out (inter-Dzongkhag census transfer)", 120),
)
USERS = (
    ("enum1", Role.enumerator, "Karma Dorji"),
    ("enum2", Role.enumerator, "Pema Choden"),
    ("super", Role.supervisor, "Sonam Wangmo"),
    ("analyst", Role.analyst, "Tashi Phuntsho"),
    ("admin", Role.admin, "Demo Administrator"),
)
DEMO_BATCH = "Demo sample"
#: the demo's call lists: the sample to call, and the history of completed interviews the
#: scorecards show (demo_history)
DEMO_BATCHES = (DEMO_BATCH, HISTORY_BATCH)
DEMO_FRAME = "Demo frame: DCRC, April 2026"
DEMO_FRAME_FILE = "frame_dcrc_april_2026.csv"
DEMO_DRAW_SIZE = 60
DEMO_DRAW_SEED = 975
#: issue 18: what each demo enumerator can do. Nobody speaks Tshangla, so the supervisor's room
#: bar shows those cases piling up (and the claim's fallback offers them, flagged, later)
SKILLS = {"enum1": (["dz", "en"], ["refusal_conversion"]), "enum2": (["dz", "ne", "en"], [])}
#: the respondent's language by region: the east speaks Tshangla, the south Lhotshamkha
TSHANGLA = {"Trashigang", "Mongar", "Samdrup Jongkhar", "Pemagatshel", "Trashiyangtse",
            "Lhuentse"}
LHOTSHAMKHA = {"Samtse", "Sarpang", "Chhukha", "Tsirang", "Dagana"}

#: the 20 dzongkhags, weighted roughly by how many people use DCRC services there
DZONGKHAGS = {
    "Thimphu": 12, "Chhukha": 8, "Paro": 6, "Sarpang": 5, "Samtse": 5, "Wangdue Phodrang": 4,
    "Punakha": 4, "Trashigang": 4, "Mongar": 4, "Samdrup Jongkhar": 4, "Tsirang": 3,
    "Dagana": 3, "Bumthang": 3, "Pemagatshel": 3, "Trongsa": 2, "Zhemgang": 2, "Haa": 2,
    "Trashiyangtse": 2, "Lhuentse": 2, "Gasa": 1,
}
FIRST_NAMES = (
    "Karma", "Pema", "Sonam", "Tashi", "Dorji", "Kinley", "Ugyen", "Tshering", "Jigme",
    "Namgay", "Sangay", "Pelden", "Dechen", "Yeshi", "Chimi", "Deki", "Tenzin", "Phuntsho",
    "Rinchen", "Nima", "Thinley", "Kuenga", "Sherab", "Passang", "Phurba", "Leki", "Tandin",
    "Ngawang", "Kezang", "Choki", "Dawa", "Lhakpa", "Yangchen", "Tshewang", "Gyem",
)
SECOND_NAMES = (
    "Wangchuk", "Lhamo", "Choden", "Wangmo", "Zangmo", "Dema", "Yangzom", "Dorji", "Norbu",
    "Gyeltshen", "Dendup", "Tobgay", "Lhendup", "Tshomo", "Pelmo", "Namgyel", "Penjor",
    "Rabgay", "Dolkar", "Wangdi", "Tshering", "Om", "Peldon", "Jamtsho", "Samdrup",
)


@dataclass
class DemoResult:
    created: list[str] = field(default_factory=list)
    usernames: list[tuple[str, str]] = field(default_factory=list)
    password: str = DEMO_PASSWORD

    def lines(self) -> list[str]:
        head = (["demo data created: " + "; ".join(self.created)] if self.created
                else ["demo data already present"])
        logins = [f"  {name:<8} {role:<11} password: {self.password}"
                  for name, role in self.usernames]
        return [*head, "demo logins:", *logins]


def ensure_default_questionnaire(session: Session, *, at: datetime
                                 ) -> QuestionnaireVersion | None:
    """Load the shipped SET script unless some version of it is loaded; the new row or None."""
    script = default_questionnaire()
    if session.scalar(select(QuestionnaireVersion.id)
                      .where(QuestionnaireVersion.qid == script.id).limit(1)) is not None:
        return None
    return catalogue.add_questionnaire_version(session, script.model_dump(mode="json"),
                                               at=at, by=None)


def real_data(session: Session) -> list[str]:
    """What in this database is not the demo's, described for a person; empty when the
    database is empty or holds only demo data (so the demo can be run again on its own
    database, after people have played with it).

    Real data is: a user the demo does not make (or one of its usernames with another role
    or name: somebody's real account; the channels' system accounts are not people), a
    service the demo does not add, a call list other than the demo's (so any case outside
    the demo sample). Work done by the demo's users on the demo's cases (attempts,
    interviews) is demo data."""
    found = []
    demo_users = {name: (role.value, full_name) for name, role, full_name in USERS}
    others = [name for name, role, full_name in session.execute(
        select(User.username, User.role, User.full_name).order_by(User.id))
        if demo_users.get(name) != (role, full_name) and name not in channels.USERNAMES]
    if others:
        found.append(f"{len(others)} user(s) the demo did not make ({_some(others)})")
    demo_codes = {code for code, _, _ in SERVICES}
    services = [code for code in session.scalars(select(Service.code).order_by(Service.id))
                if code not in demo_codes]
    if services:
        found.append(f"{len(services)} service(s) the demo did not add ({_some(services)})")
    outside = session.scalar(select(func.count()).select_from(Case).outerjoin(
        SampleBatch, SampleBatch.id == Case.batch_id).where(
        or_(SampleBatch.name.is_(None), SampleBatch.name.not_in(DEMO_BATCHES)))) or 0
    if outside:
        found.append(f"{outside} case(s) outside the demo's call lists")
    return found


def _some(names: list[str]) -> str:
    return ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")


def seed_demo(session: Session, hasher: PasswordHasher, *, at: datetime, seed: int = 975,
              into_real_database: bool = False) -> DemoResult:
    """Seed the demo. A database with real data is refused (the demo adds logins whose
    password is published) unless ``into_real_database`` says the operator means it."""
    found = real_data(session)
    if found and not into_real_database:
        raise Conflict(
            "this database holds real data, not only the demo's: " + "; ".join(found) + ". "
            "The demo would add logins whose password is published. Point CATI_DATABASE_URL "
            "at a new database, or pass --force-into-real-database if you mean it")
    result = DemoResult(usernames=[(name, role.value) for name, role, _ in USERS])
    if ensure_default_questionnaire(session, at=at) is not None:
        result.created.append("the default questionnaire")
    _seed_users(session, hasher, at, result)
    _seed_services(session, at, result)
    rng = random.Random(seed)
    for code, _name, size in SERVICES:
        _seed_sample(session, code, size, rng, at, result)
    _seed_draw(session, at, result)
    history = seed_history(session, at=at)
    if history:
        result.created.append(f"{history} completed interviews over two quarters "
                              "(the scorecards' history)")
    complaints = seed_complaints(session, at, rng)
    if complaints:
        result.created.append(f"{complaints} complaint tickets")
    return result


def _seed_draw(session: Session, at: datetime, result: DemoResult) -> None:
    """The example frame (resources/demo), a draw from it and its first replicate released,
    so the sampling page and the Sample sheet have something to show. The released cases go
    into batches named like the demo's call lists (``real_data`` treats them as demo data)."""
    if session.scalar(select(SampleFrame.id).where(SampleFrame.name == DEMO_FRAME)
                      .limit(1)) is not None:
        return
    with read_whole(resource("demo", DEMO_FRAME_FILE)) as sheet:
        frame = import_frame(session, sheet, name=DEMO_FRAME, agency=AGENCY,
                             period_start=date(2026, 4, 1), period_end=date(2026, 4, 30),
                             at=at, by=None, salt="")
    assert frame.frame_id is not None
    draw = make_draw(session, frame.frame_id, DrawRequest(
        sample_size=DEMO_DRAW_SIZE, seed=DEMO_DRAW_SEED, replicates=3,
        target_per_stratum=4), at=at, by=None, window=timedelta(days=90))
    released = release(session, draw.id, at=at, by=None, batch_name=DEMO_BATCH)
    result.created.append(f"frame of {frame.accepted} service users, a draw of "
                          f"{DEMO_DRAW_SIZE} and its replicate 1 ({released.cases_released} "
                          "cases)")


def _seed_users(session: Session, hasher: PasswordHasher, at: datetime,
                result: DemoResult) -> None:
    existing = set(session.scalars(select(User.username)))
    made = [name for name, _, _ in USERS if name not in existing]
    for name, role, full_name in USERS:
        if name in made:
            # The demo's password is published in the README, so it would fail the password
            # policy (the admin's minimum, the list of common passwords) on purpose: demo
            # databases only, which `cati-server demo` checks before seeding.
            user = users.create_user(session, hasher, username=name, password=DEMO_PASSWORD,
                                     role=role, full_name=full_name, at=at, check_policy=False)
            if name in SKILLS:
                languages, skills = SKILLS[name]
                users.set_skills(session, user, languages=languages, skills=skills, at=at,
                                 by=None)
    if made:
        result.created.append("users " + ", ".join(made))


def _seed_services(session: Session, at: datetime, result: DemoResult) -> None:
    existing = set(session.scalars(select(Service.code)))
    for code, name, _ in SERVICES:
        if code not in existing:
            catalogue.add_service(session, code=code, name=name, agency=AGENCY, at=at, by=None)
            result.created.append(f"service {code}")


def _seed_sample(session: Session, code: str, size: int, rng: random.Random, at: datetime,
                 result: DemoResult) -> None:
    service = catalogue.service_by_code(session, code)
    already = session.scalar(select(SampleBatch.id).where(
        SampleBatch.service_id == service.id, SampleBatch.name == DEMO_BATCH).limit(1))
    if already is not None:
        return
    records = _sample_records(size, rng, at, prefix=code)
    report = import_sample(session, sheet_from_records(records, list(COLUMNS), name=code),
                           service_code=code, batch_name=DEMO_BATCH, at=at)
    result.created.append(f"{report.imported} {code} cases")


def _sample_records(size: int, rng: random.Random, at: datetime, prefix: str
                    ) -> list[dict[str, object]]:
    today = to_thimphu(at).date()
    dzongkhags = list(DZONGKHAGS)
    phones = _PhoneMaker(rng)
    records: list[dict[str, object]] = []
    for index in range(size):
        # the first 20 visit every dzongkhag once; the rest follow the weights
        place = (dzongkhags[index] if index < len(dzongkhags)
                 else rng.choices(dzongkhags, weights=list(DZONGKHAGS.values()))[0])
        records.append({
            "name": f"{rng.choice(FIRST_NAMES)} {rng.choice(SECOND_NAMES)}",
            "phone": phones.make(),
            "phone2": phones.make() if rng.random() < 0.2 else None,
            "phone3": None,
            "office": _office(place, prefix, rng),
            "dzongkhag": place,
            "date_availed": today - timedelta(days=rng.randint(1, 14)),
            "language": _language(place, rng.random()),
            "priority": rng.choice((50, 50, 50, 50, 50, 50, 50, 60, 70, 80)),
        })
    return records


def _language(dzongkhag: str, draw: float) -> str:
    """Mostly the region's language; some English, and some not known (blank: "any")."""
    if draw < 0.08:
        return ""
    if draw < 0.2:
        return "en"
    if dzongkhag in TSHANGLA:
        return "tsj"
    return "ne" if dzongkhag in LHOTSHAMKHA else "dz"


def _office(dzongkhag: str, code: str, rng: random.Random) -> str:
    if dzongkhag == "Thimphu" and code == "CID" and rng.random() < 0.5:
        return "DCRC Head Office, Thimphu"
    return f"{dzongkhag} Dzongkhag Civil Registration Office"


class _PhoneMaker:
    """Distinct, valid Bhutanese mobile numbers written the ways call lists write them."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def make(self) -> str:
        while True:
            prefix = self.rng.choices(("17", "77", "16"), weights=(5, 4, 1))[0]
            number = prefix + f"{self.rng.randrange(10**6):06d}"
            if number not in self.used:
                self.used.add(number)
                return self.rng.choice((number, "+975" + number,
                                        "-".join((number[:2], number[2:5], number[5:]))))
