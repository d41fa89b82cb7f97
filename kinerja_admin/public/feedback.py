"""Citizen feedback (no login): the IKM questionnaire per unit (/publik/u/<slug>) and per public
service (/publik/l/<slug>), printable QR code pages, and a thank-you page.

Abuse defences: Flask-Limiter per client on POST (shared by every survey form; in the shared
storage, and keyed on the real client behind KINERJA_PROXY_HOPS proxies), a honeypot field, CSRF
(FlaskForm, with the app-wide CSRFProtect), a one-time form nonce signed by the server and
consumed in the database (a double click, a replayed POST or a replayed cookie stores nothing
twice, whichever worker receives it), a respondent token per device (a signed random id in a
cookie, bound to the nonce; one voice per device per survey and period), burst moderation, length
caps, and Jinja autoescape (no input is ever rendered with |safe). The rules live in
kinerja_admin.rating.feedback.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import secrets

from flask import Response, abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from wtforms import HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from kinerja_admin.extensions import limiter
from kinerja_admin.rating.common import RatingError
from kinerja_admin.rating.feedback import (
    COMMENT_MAX,
    DuplicateResponse,
    client_hash,
    feedback_period,
    rateable_employees,
    service_by_slug,
    store_feedback,
    unit_by_slug,
)
from models import IkmElement, PublicService, SurveyNonce, Unit, db
from models.base import utcnow

from . import bp

DEFAULT_RATE_LIMIT = "5 per minute; 30 per day"
NONCE_MAX_AGE = 2 * 3600  # a form must be sent within two hours of loading it
RESPONDENT_COOKIE = "kinerja_responden"
RESPONDENT_MAX_AGE = 400 * 24 * 3600

# Answer labels of the PermenPANRB 14/2017 questionnaire, per element (1 = worst, 4 = best).
ANSWER_LABELS = {
    "U1": ("Tidak sesuai", "Kurang sesuai", "Sesuai", "Sangat sesuai"),
    "U2": ("Tidak mudah", "Kurang mudah", "Mudah", "Sangat mudah"),
    "U3": ("Tidak cepat", "Kurang cepat", "Cepat", "Sangat cepat"),
    "U4": ("Sangat mahal", "Cukup mahal", "Murah", "Gratis"),
    "U5": ("Tidak sesuai", "Kurang sesuai", "Sesuai", "Sangat sesuai"),
    "U6": ("Tidak kompeten", "Kurang kompeten", "Kompeten", "Sangat kompeten"),
    "U7": ("Tidak sopan dan ramah", "Kurang sopan dan ramah", "Sopan dan ramah", "Sangat sopan dan ramah"),
    "U8": ("Buruk", "Cukup", "Baik", "Sangat baik"),
    "U9": ("Tidak ada", "Ada tetapi tidak berfungsi", "Berfungsi kurang maksimal", "Dikelola dengan baik"),
}
GENERIC_LABELS = ("Tidak baik", "Kurang baik", "Baik", "Sangat baik")
EMPLOYEE_LABELS = ("Tidak baik", "Kurang baik", "Baik", "Sangat baik")


def _rate_limit() -> str:
    return current_app.config.get("KINERJA_FEEDBACK_RATE_LIMIT") or DEFAULT_RATE_LIMIT


_limit = limiter.shared_limit(
    _rate_limit, scope="publik-umpan-balik", methods=["POST"],
    error_message="Terlalu banyak kiriman dari perangkat Anda. Coba lagi nanti.")


class FeedbackForm(FlaskForm):
    employee = SelectField("Nama petugas yang melayani (opsional)", choices=[], validate_choice=False)
    employee_score = RadioField("Penilaian Anda atas petugas tersebut",
                                choices=[(str(i), lbl) for i, lbl in enumerate(EMPLOYEE_LABELS, start=1)],
                                validators=[Optional()], validate_choice=False)
    comment = TextAreaField("Saran atau komentar (opsional)",
                            validators=[Optional(), Length(max=COMMENT_MAX,
                                                           message=f"Komentar paling banyak {COMMENT_MAX} karakter.")],
                            render_kw={"maxlength": COMMENT_MAX, "rows": 4})
    # Honeypot: hidden from people by CSS; bots fill every field.
    website = StringField("Situs web", render_kw={"autocomplete": "off", "tabindex": "-1"})
    nonce = HiddenField()


for _i in range(1, 10):
    setattr(FeedbackForm, f"u{_i}", RadioField(
        f"U{_i}", choices=[(str(v), str(v)) for v in range(1, 5)], validate_choice=False,
        validators=[InputRequired(message="Pertanyaan ini wajib dijawab.")]))


def _elements():
    rows = db.session.scalars(select(IkmElement).order_by(IkmElement.seq)).all()
    out = []
    for i, el in enumerate(rows[:9], start=1):
        labels = ANSWER_LABELS.get(el.code, GENERIC_LABELS)
        out.append({"field": f"u{i}", "code": el.code, "name": el.name, "question": el.question,
                    "labels": list(enumerate(labels, start=1))})
    return out


def _signer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=salt)


def _respondent() -> tuple[str, bool]:
    """This device's respondent id (from its signed cookie) and whether it is new."""
    raw = request.cookies.get(RESPONDENT_COOKIE)
    if raw:
        try:
            rid = _signer("kinerja-respondent").loads(raw, max_age=RESPONDENT_MAX_AGE)
            if isinstance(rid, str) and 10 <= len(rid) <= 40:
                return rid, False
        except BadSignature:
            pass
    return secrets.token_urlsafe(16), True


def respondent_hash(rid: str) -> str:
    return hashlib.sha256(f"{current_app.secret_key}|respondent|{rid}".encode()).hexdigest()[:32]


def _new_nonce(rid: str) -> str:
    return _signer("kinerja-survey-nonce").dumps({"n": secrets.token_urlsafe(12), "r": rid, "p": request.path})


def _take_nonce(token: str | None, rid: str) -> bool:
    """Consume the nonce: valid signature, younger than NONCE_MAX_AGE, issued to this device for
    this form, and never used before (its hash is inserted under a primary key: a replay fails in
    the database). On False the caller rolls back."""
    if not token or len(token) > 300:
        return False
    try:
        data = _signer("kinerja-survey-nonce").loads(token, max_age=NONCE_MAX_AGE)
    except BadSignature:
        return False
    if not isinstance(data, dict) or data.get("r") != rid or data.get("p") != request.path:
        return False
    db.session.execute(delete(SurveyNonce).where(
        SurveyNonce.used_at < utcnow() - dt.timedelta(seconds=NONCE_MAX_AGE + 60)))
    db.session.add(SurveyNonce(nonce_hash=hashlib.sha256(token.encode()).hexdigest(), used_at=utcnow()))
    try:
        db.session.flush()
    except IntegrityError:
        return False
    return True


def _int_or_none(raw):
    try:
        return int(raw) if raw not in (None, "") else None
    except (TypeError, ValueError):
        return -1  # invalid on purpose: refused by the rules with a clear message


def _survey(unit: Unit, service: PublicService | None):
    period = feedback_period(db.session)
    form = FeedbackForm()
    self_url = request.path

    rid, new_device = _respondent()

    if request.method == "POST" and period is not None:
        if form.website.data:
            # A bot filled the honeypot: say thanks, store nothing.
            return redirect(url_for("public.thanks"))
        if form.validate_on_submit():
            if not _take_nonce(form.nonce.data, rid):
                db.session.rollback()
                flash("Formulir ini sudah dikirim atau kedaluwarsa. Silakan isi kembali bila perlu.", "warning")
                return redirect(self_url)
            answers = {f"u{i}": _int_or_none(getattr(form, f"u{i}").data) for i in range(1, 10)}
            try:
                store_feedback(
                    db.session, period=period, unit=unit, service=service, answers=answers,
                    employee_id=_int_or_none(form.employee.data), employee_score=_int_or_none(form.employee_score.data),
                    comment=form.comment.data,
                    client=client_hash(current_app.secret_key or "", request.remote_addr,
                                       request.headers.get("User-Agent")),
                    respondent=respondent_hash(rid))
            except DuplicateResponse as err:
                db.session.rollback()
                flash(str(err), "warning")
                return redirect(self_url)
            except RatingError as err:
                db.session.rollback()
                flash(str(err), "error")
            else:
                db.session.commit()
                return redirect(url_for("public.thanks", u=unit.slug) if unit.slug else url_for("public.thanks"))
        else:
            flash("Mohon lengkapi isian yang ditandai.", "error")
    form.nonce.data = _new_nonce(rid)
    status = 200 if request.method == "GET" or period is None else 400
    # The officer list (up to 500 names) is read only to render the form (a POST is checked by
    # store_feedback) and written by the template's own loop: WTForms' per-option rendering cost
    # more than the rest of the page.
    employees = rateable_employees(db.session, unit.id)
    response = make_response(render_template(
        "public/feedback/form.html", form=form, unit=unit, service=service, period=period,
        elements=_elements(), comment_max=COMMENT_MAX, employees=employees,
        chosen_employee=str(form.employee.data or "")), status)
    response.headers["Cache-Control"] = "no-store"  # the page carries this device's one-time nonce
    if new_device:
        response.set_cookie(RESPONDENT_COOKIE, _signer("kinerja-respondent").dumps(rid), max_age=RESPONDENT_MAX_AGE,
                            httponly=True, samesite="Lax", path="/publik/",
                            secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")))
    return response


@bp.route("/survei/")
def survey_index():
    units = db.session.scalars(select(Unit).where(Unit.public_facing.is_(True), Unit.active.is_(True),
                                                  Unit.slug.is_not(None)).order_by(Unit.name)).all()
    services = db.session.scalars(select(PublicService).where(PublicService.active.is_(True))
                                  .order_by(PublicService.name)).all()
    by_unit = {}
    for s in services:
        by_unit.setdefault(s.unit_id, []).append(s)
    return render_template("public/feedback/index.html", units=units, services=by_unit)


@bp.route("/u/<slug>", methods=["GET", "POST"])
@_limit
def unit_survey(slug):
    unit = unit_by_slug(db.session, slug)
    if unit is None:
        abort(404)
    return _survey(unit, None)


@bp.route("/l/<slug>", methods=["GET", "POST"])
@_limit
def service_survey(slug):
    service = service_by_slug(db.session, slug)
    if service is None:
        abort(404)
    return _survey(service.unit, service)


@bp.route("/terima-kasih")
def thanks():
    return render_template("public/feedback/thanks.html", back=request.args.get("u"))


# --- QR codes --------------------------------------------------------------------------------------

def _public_url(endpoint: str, **values) -> str:
    base = current_app.config.get("KINERJA_PUBLIC_BASE_URL")
    if base:
        return base.rstrip("/") + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


def _svg(url: str) -> Response:
    import segno

    buf = io.BytesIO()
    segno.make(url, error="m", micro=False).save(buf, kind="svg", scale=8, border=2, xmldecl=True,
                                                 title="Kode QR survei kepuasan")
    resp = Response(buf.getvalue(), mimetype="image/svg+xml")
    resp.headers["Cache-Control"] = "public, max-age=3600"
    return resp


@bp.route("/u/<slug>/qr.svg")
def unit_qr_svg(slug):
    if unit_by_slug(db.session, slug) is None:
        abort(404)
    return _svg(_public_url("public.unit_survey", slug=slug))


@bp.route("/l/<slug>/qr.svg")
def service_qr_svg(slug):
    if service_by_slug(db.session, slug) is None:
        abort(404)
    return _svg(_public_url("public.service_survey", slug=slug))


@bp.route("/u/<slug>/qr")
def unit_qr(slug):
    unit = unit_by_slug(db.session, slug)
    if unit is None:
        abort(404)
    return render_template("public/feedback/qr.html", title=unit.name, subtitle=None,
                           url=_public_url("public.unit_survey", slug=slug),
                           svg_url=url_for("public.unit_qr_svg", slug=slug))


@bp.route("/l/<slug>/qr")
def service_qr(slug):
    service = service_by_slug(db.session, slug)
    if service is None:
        abort(404)
    return render_template("public/feedback/qr.html", title=service.name, subtitle=service.unit.name,
                           url=_public_url("public.service_survey", slug=slug),
                           svg_url=url_for("public.service_qr_svg", slug=slug))
