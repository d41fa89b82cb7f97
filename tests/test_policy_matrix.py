"""The record policy as a matrix: role x model x field x state -> allowed / refused, generated from the
rules in kinerja_admin/policy/rules.py and driven through (1) the ORM session directly and (2) the real
admin form POSTs. The relation of each test user to the record and the record's state are facts of the
scenario built here (not read back from the policy's own context loader), so the test fails when the
guard, the context loading or the forms disagree with the declared rules. A model column without a
policy decision fails it too."""
from __future__ import annotations

import datetime as dt
import itertools
import re
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from sqlalchemy import select, update

from kinerja_admin.extensions import db
from kinerja_admin.policy import BY_MODEL, POLICIES, Ctx, PolicyError, permits
from kinerja_admin.policy.check import at_creation, rules_of
from kinerja_admin.policy.rules import TECHNICAL
from kinerja_admin.workflow import trail
from models import (
    BehaviourAspect,
    CoachingNote,
    Employee,
    EvidenceFile,
    FeedbackMessage,
    Indicator,
    Period,
    PeriodicJudgement,
    PeriodicRealisation,
    Position,
    Realisation,
    SpecialExpectation,
    SubPeriod,
    Target,
    TargetJudgement,
    Unit,
    User,
    WorkPlan,
)
from models.base import PLAN_STATUSES
from tests.conftest import login_as

PERIODS = ("planning", "running", "assessing")


def test_every_column_has_a_policy_decision():
    """A column added to a model without deciding who may set it fails here."""
    decided = {p.model for p in POLICIES}
    assert decided == {m.class_ for m in db.Model.registry.mappers}, "every model needs a ModelPolicy"
    for pol in POLICIES:
        columns = {c.key for c in pol.model.__table__.columns} - TECHNICAL
        assert columns == set(pol.fields), f"{pol.model.__tablename__}: undecided {columns ^ set(pol.fields)}"


# --- the scenario: the demo employee's 2026 SKP and the people around it ---------------------------

@pytest.fixture
def scene(demo):
    users = demo["users"]
    plan = db.session.scalar(select(WorkPlan).where(WorkPlan.employee_id == users["pegawai"].employee_id,
                                                    WorkPlan.period_id == demo["periods"]["2026"].id))
    assert plan.rater_id == users["penilai"].employee_id and plan.rater_superior_id is not None
    atasan = User(username="atasan", role="penilai", full_name="Atasan", employee_id=plan.rater_superior_id,
                  password_hash="x")
    related = {plan.employee_id, plan.rater_id, plan.rater_superior_id, users["operator"].employee_id}
    stranger_emp = db.session.scalar(select(Employee).where(Employee.id.not_in(related),
                                                            Employee.superior_id.not_in(related)))
    stranger = User(username="lain", role="penilai", full_name="Lain", employee_id=stranger_emp.id, password_hash="x")
    db.session.add_all([atasan, stranger])
    db.session.flush()
    target = plan.targets[0]
    assert len(plan.targets) >= 2  # the second RHK takes a new judgement in the create matrix
    # linked (as the system) so that a user may try to unlink it
    target.parent_target_id = db.session.scalar(select(Target.id).where(Target.work_plan_id != plan.id))
    indicator = target.indicators[0]
    realisation = Realisation(indicator_id=indicator.id, value=Decimal(5), evidence_note="bukti")
    aspect = db.session.scalar(select(BehaviourAspect).where(
        BehaviourAspect.scheme_id == demo["periods"]["2026"].scheme_id))
    expectation = SpecialExpectation(work_plan_id=plan.id, aspect_id=aspect.id, text="Tepat waktu")
    judgement = TargetJudgement(target_id=target.id, category="sesuai", feedback="Sesuai target")
    db.session.add_all([realisation, expectation, judgement])
    db.session.flush()
    evidence = EvidenceFile(realisation_id=realisation.id, filename="bukti.pdf", content_type="application/pdf",
                            size=9, sha256="0" * 64, content=b"%PDF-1.4\n")
    db.session.add(evidence)
    # through the year: two evaluation windows open today, a periodic realisation and judgement, a message
    # in the SKP's thread and a coaching note
    from kinerja_admin.clock import today

    day = today(db.session)
    windows = [SubPeriod(period_id=plan.period_id, frequency="triwulanan", seq=90 + k, name=f"Uji {k}",
                         start_date=day - dt.timedelta(days=5), end_date=day, due_date=day + dt.timedelta(days=5))
               for k in (1, 2)]
    db.session.add_all(windows)
    db.session.flush()
    periodic = PeriodicRealisation(indicator_id=indicator.id, sub_period_id=windows[0].id, value=Decimal(2))
    periodic_judgement = PeriodicJudgement(target_id=target.id, sub_period_id=windows[0].id, category="sesuai",
                                           feedback="Lanjutkan")
    message = FeedbackMessage(work_plan_id=plan.id, body="Bagaimana kemajuan RHK 1?")
    coaching = CoachingNote(work_plan_id=plan.id, kind="bimbingan", body="Perbaiki ketepatan waktu laporan.")
    db.session.add_all([periodic, periodic_judgement, message, coaching])
    db.session.commit()
    actors = {"pegawai": users["pegawai"], "penilai": users["penilai"], "atasan": atasan, "lain": stranger,
              "operator": users["operator"], "admin": users["admin"], "inspektur": users["inspektur"]}
    relations = {"pegawai": {"subject"}, "penilai": {"rater"}, "atasan": {"rater_superior"}, "lain": set(),
                 "operator": {"staff"}, "admin": {"staff", "admin"}, "inspektur": set()}
    return dict(plan=plan, target=target, indicator=indicator, realisation=realisation, expectation=expectation,
                judgement=judgement, evidence=evidence, period=demo["periods"]["2026"], actors=actors,
                relations=relations, demo=demo, periodic=periodic, periodic_judgement=periodic_judgement,
                message=message, coaching=coaching, windows=windows)


def _set_state(scene, plan_status, period_status):
    db.session.execute(update(WorkPlan).where(WorkPlan.id == scene["plan"].id).values(status=plan_status))
    db.session.execute(update(Period).where(Period.id == scene["period"].id).values(status=period_status))
    db.session.expire_all()


def _ctx(plan_status, period_status):
    # the scene's evaluation windows are open today (the rules of periodic records read it)
    return Ctx(plan_status=plan_status, period_status=period_status, window_state="open")


def _new_value(scene, obj, column):
    """A different value the database and the invariants accept, so only the policy can refuse it."""
    current = getattr(obj, column)
    col = type(obj).__table__.c[column]
    plan = scene["plan"]
    if column in ("rater_id", "rater_superior_id"):
        taken = {plan.employee_id, plan.rater_id, plan.rater_superior_id}
        return db.session.scalar(select(Employee.id).where(Employee.id.not_in(taken),
                                                           Employee.superior_id.is_(None)))
    if column in ("employee_id",):
        return db.session.scalar(select(Employee.id).where(Employee.id != current))
    if column == "unit_id":
        return db.session.scalar(select(Unit.id).where(Unit.id != current))
    if column == "position_id":
        return db.session.scalar(select(Position.id).where(Position.id != current))
    if column == "period_id":
        return db.session.scalar(select(Period.id).where(Period.id != current))
    if column in ("approved_by_id", "recorded_by_id"):
        return scene["actors"]["admin"].id
    if column == "status":
        return next(s for s in PLAN_STATUSES if s != current)
    if column in ("hasil_rating", "perilaku_rating", "category_hint", "category"):
        return "diatas" if current != "diatas" else "dibawah"
    if column == "aspect":
        return "kualitas" if current != "kualitas" else "kuantitas"
    if column == "formula_code":
        return None if current else "capaian_iki"
    if column == "aspect_id":
        return db.session.scalar(select(BehaviourAspect.id).where(BehaviourAspect.id != current,
                                                                   BehaviourAspect.scheme_id == plan.period.scheme_id))
    if column == "parent_target_id":
        return None  # unlinking is always a valid link (the scene links it); making links: test_planning_cascade
    if column == "seq":
        return (current or 0) + 100
    if column == "evidence_url":  # a link is a web address (kinerja_admin.links)
        return f"https://arsip.example.go.id/ubah/{current or ''}x"
    if column in ("work_plan_id", "target_id", "indicator_id", "realisation_id"):
        parent = {"work_plan_id": WorkPlan, "target_id": Target, "indicator_id": Indicator,
                  "realisation_id": Realisation}[column]
        if column == "target_id" and isinstance(obj, TargetJudgement):  # one judgement per RHK
            return db.session.scalar(select(Target.id).where(Target.id != current, ~Target.id.in_(
                select(TargetJudgement.target_id))))
        return db.session.scalar(select(parent.id).where(parent.id != current))
    python = col.type.python_type
    if python is bool:
        return not current
    if python is int:
        return (current or 0) + 1
    if python is bytes:
        return (current or b"") + b"%"
    if python is Decimal:
        return (current or Decimal(0)) + 1
    if python is dt.datetime:
        return dt.datetime(2026, 3, 3, 10, 0)
    if python is str:
        return f"ubah {column}"
    raise AssertionError(f"no test value for {type(obj).__name__}.{column}")


def _attempt(session, actor, fn) -> bool:
    """Run one write as `actor` in a savepoint; True when it was stored, False when the policy refused."""
    nested = session.begin_nested()
    trail.set_actor(session, actor)
    try:
        fn()
        session.flush()
        return True
    except PolicyError:
        return False
    finally:
        trail.set_actor(session, None)
        nested.rollback()
        session.expire_all()


PLAN_MODELS = ("plan", "target", "indicator", "realisation", "expectation", "judgement", "evidence", "periodic",
               "periodic_judgement", "message", "coaching")


def _objects(scene, key):
    obj = scene[key]
    return db.session.get(type(obj), obj.id)


def test_orm_writes_agree_with_the_policy(scene):
    """Every field of the plan-bound records, for every user around the plan, in every plan state and
    every open period state: the session refuses exactly what the rules refuse."""
    mismatches = []
    for plan_status, period_status in itertools.product(PLAN_STATUSES, PERIODS):
        _set_state(scene, plan_status, period_status)
        ctx = _ctx(plan_status, period_status)
        for key in PLAN_MODELS:
            pol = BY_MODEL[type(scene[key])]
            for column, spec in pol.fields.items():
                if column == "org_indicator_id":
                    continue  # only the OPD head links an indicator (invariant): tests/test_planning_cascade.py
                for name, actor in scene["actors"].items():
                    expected = any(permits(r, scene["relations"][name], ctx) for r in rules_of(spec))

                    def change(key=key, column=column):
                        obj = _objects(scene, key)
                        setattr(obj, column, _new_value(scene, obj, column))
                        trail.note(obj, action="update", reason="uji matriks kebijakan")

                    got = _attempt(db.session, actor, change)
                    if got != expected:
                        mismatches.append((key, column, name, plan_status, period_status, expected, got))
    assert mismatches == [], "\n".join(map(str, mismatches))


def test_orm_creates_and_deletes_agree_with_the_policy(scene):
    mismatches = []
    for plan_status, period_status in itertools.product(PLAN_STATUSES, PERIODS):
        _set_state(scene, plan_status, period_status)
        ctx = _ctx(plan_status, period_status)
        makers = {
            "target": lambda: Target(work_plan_id=scene["plan"].id, seq=99, description="RHK baru"),
            "indicator": lambda: Indicator(target_id=scene["target"].id, aspect="kuantitas", description="baru",
                                           target_value=Decimal(3), unit_label="dokumen"),
            "realisation": lambda: Realisation(indicator_id=scene["indicator"].id, value=Decimal(7)),
            "expectation": lambda: SpecialExpectation(
                work_plan_id=scene["plan"].id, text="baru", aspect_id=db.session.scalar(
                    select(BehaviourAspect.id).where(BehaviourAspect.scheme_id == scene["period"].scheme_id,
                                                     BehaviourAspect.id != scene["expectation"].aspect_id))),
            # the plan's other RHK (one judgement per RHK), a second file of the realisation
            "judgement": lambda: TargetJudgement(target_id=scene["plan"].targets[-1].id, category="diatas"),
            "evidence": lambda: EvidenceFile(realisation_id=scene["realisation"].id, filename="foto.png",
                                             content_type="image/png", size=8, sha256="1" * 64,
                                             content=b"\x89PNG\r\n\x1a\n"),
            # through the year: the second open window, a new message and a new coaching note
            "periodic": lambda: PeriodicRealisation(indicator_id=scene["indicator"].id,
                                                    sub_period_id=scene["windows"][1].id, value=Decimal(4)),
            "periodic_judgement": lambda: PeriodicJudgement(target_id=scene["target"].id,
                                                            sub_period_id=scene["windows"][1].id, category="diatas"),
            "message": lambda: FeedbackMessage(work_plan_id=scene["plan"].id, target_id=scene["target"].id,
                                               body="Bukti dukung sudah diunggah."),
            "coaching": lambda: CoachingNote(work_plan_id=scene["plan"].id, kind="konseling", body="Catatan baru."),
        }
        for key, make in makers.items():
            pol = BY_MODEL[type(scene[key])]
            for name, actor in scene["actors"].items():
                rels = scene["relations"][name]
                expected = any(permits(r, rels, ctx) for r in pol.create)
                got = _attempt(db.session, actor, lambda make=make: db.session.add(make()))
                if got != expected:
                    mismatches.append(("create", key, name, plan_status, period_status, expected, got))
                expected = any(permits(r, rels, ctx) for r in pol.delete)

                def delete_fresh(make=make):
                    # a row of its own (made by the system), so that only its own delete rule decides:
                    # what a delete takes along with it is tested in test_policy_review_findings
                    from kinerja_admin import policy

                    with policy.system(db.session):
                        row = make()
                        db.session.add(row)
                        db.session.flush()
                    db.session.delete(row)

                got = _attempt(db.session, actor, delete_fresh)
                if got != expected:
                    mismatches.append(("delete", key, name, plan_status, period_status, expected, got))
    assert mismatches == [], "\n".join(map(str, mismatches))


# --- the same rules through the real admin forms ------------------------------------------------------

class _FormFields(HTMLParser):
    """The fields an admin edit form offers, with the values it would post back."""

    def __init__(self):
        super().__init__()
        self.values: dict[str, str] = {}
        self._select = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name:
            if a.get("type") == "checkbox":
                if "checked" in a:
                    self.values[name] = a.get("value", "y")
                else:
                    self.values.setdefault(name, None)
            elif a.get("type") != "submit":
                self.values[name] = a.get("value", "")
        elif tag == "select" and name:
            self._select = name
            self.values.setdefault(name, "")
        elif tag == "option" and self._select and "selected" in a:
            self.values[self._select] = a.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.values[name] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        if tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data


def _offered(html: str) -> dict:
    form = html[html.index('<form action="" method="POST"'):] if '<form action="" method="POST"' in html else html
    parser = _FormFields()
    parser.feed(form.split("</form>")[0])
    return {k: v for k, v in parser.values.items() if k not in ("csrf_token", "row_version", "policy_reason")}


VIEWS = {"plan": "work_plan", "target": "target", "indicator": "indicator", "realisation": "realisation",
         "expectation": "special_expectation"}
FORM_STATES = [("draft", "running"), ("submitted", "running"), ("approved", "running"), ("realised", "assessing"),
               ("assessed", "assessing")]
FORM_VALUES = {"feedback": "umpan balik uji", "description": "teks uji", "evidence_note": "catatan uji",
               "text": "ekspektasi uji", "innovation_note": "catatan inovasi uji", "unit_label": "satuan uji",
               "hasil_rating": "diatas", "perilaku_rating": "diatas", "seq": "77", "target_value": "41",
               "value": "13"}


def test_admin_forms_offer_and_store_exactly_what_the_policy_allows(client, scene):
    from views import appraisal

    mismatches = []
    for plan_status, period_status in FORM_STATES:
        _set_state(scene, plan_status, period_status)
        db.session.commit()
        ctx = _ctx(plan_status, period_status)
        for key, endpoint in VIEWS.items():
            obj = _objects(scene, key)
            view_cls = {"plan": appraisal.WorkPlanView, "target": appraisal.TargetView,
                        "indicator": appraisal.IndicatorView, "realisation": appraisal.RealisationView,
                        "expectation": appraisal.SpecialExpectationView}[key]
            pol = BY_MODEL[type(obj)]
            mapper = type(obj).__mapper__
            original = {f: getattr(obj, f) for f in view_cls.form_columns if f in FORM_VALUES}
            for name, user in scene["actors"].items():
                rels = scene["relations"][name]
                allowed = {c for c, spec in pol.fields.items() if any(permits(r, rels, ctx) for r in rules_of(spec))}
                expected = set()
                for field in view_cls.form_columns:
                    cols = ({c.key for c in mapper.relationships[field].local_columns}
                            if field in mapper.relationships else {field})
                    if cols <= allowed:
                        expected.add(field)
                login_as(client, user)
                url = f"/admin/{endpoint}/edit/?id={obj.id}"
                rv = client.get(url)
                if rv.status_code in (403, 404):
                    offered = set()  # the role may not open the form, or the row is outside its scope
                elif rv.status_code == 302:
                    offered = set()  # nothing to change in this state: the details instead
                else:
                    html = rv.get_data(as_text=True)
                    data = _offered(html)
                    offered = set(data)
                    # post a change of every offered field, plus fields the form did not offer
                    post = dict(data)
                    for f in offered:
                        if f in FORM_VALUES:
                            post[f] = FORM_VALUES[f]
                    for f in set(view_cls.form_columns) - offered:
                        if f in FORM_VALUES:
                            post[f] = FORM_VALUES[f]
                    version = re.search(r'name="row_version" type="hidden" value="(\d+)"', html)
                    if version:
                        post["row_version"] = version.group(1)
                    if "policy_reason" in html:
                        post["policy_reason"] = "uji formulir"
                    client.post(url, data={k: v for k, v in post.items() if v is not None})
                    db.session.expire_all()
                    stored = _objects(scene, key)
                    for f in view_cls.form_columns:
                        if f not in FORM_VALUES:
                            continue
                        now = getattr(stored, f)
                        changed = str(now) == FORM_VALUES[f] or (isinstance(now, Decimal) and now == Decimal(
                            FORM_VALUES[f]))
                        if changed != (f in expected):
                            mismatches.append(("stored", key, f, name, plan_status, changed))
                    db.session.execute(update(type(obj)).where(type(obj).id == obj.id).values(original))
                    db.session.commit()
                if offered != expected:
                    mismatches.append(("offered", key, name, plan_status, sorted(offered ^ expected)))
    assert mismatches == [], "\n".join(map(str, mismatches))


def test_creatable_fields_follow_the_create_rule():
    """New rows are offered only the fields their creator may give them (e.g. a new realisation never
    offers the rater's feedback to the employee)."""
    from kinerja_admin.policy import creatable_columns

    class Pegawai:
        role = "pegawai"

    class Operator:
        role = "operator"

    assert "feedback" not in creatable_columns(Pegawai, Realisation)
    assert {"value", "evidence_url", "evidence_note", "indicator_id"} <= creatable_columns(Pegawai, Realisation)
    # a clerk may have an SKP of their own: the subject's fields, never the rater's feedback
    assert "feedback" not in creatable_columns(Operator, Realisation)
    assert "hasil_rating" not in creatable_columns(Operator, WorkPlan)
    assert {"rater_id", "employee_id", "period_id"} <= creatable_columns(Operator, WorkPlan)
    assert all(at_creation(BY_MODEL[WorkPlan].fields[c]) for c in ("period_id", "employee_id"))
