"""The coordinators' accounts page (``/dieu-phoi/tai-khoan``): create sign-in accounts and list them.

An account has a role (coordinator, Youth Union officer, dispatcher, ward official, residential-group
leader); a ward official's or group leader's account names its ward, and only theirs does
(:func:`web.auth.create_user` holds that rule). A password left empty is generated and shown once, on
the answer to the form; only its argon2 hash is stored. Ward officials invite their group leaders from
their ward's daily list (:mod:`web.visit_intake`).
"""

from __future__ import annotations

import logging
import secrets

from flask import render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import PasswordField, SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from web import store
from web.auth import GROUP_LEADER, USER_ROLES, WARD_SCOPED_ROLES, create_user, role_required
from web.coordinator import blueprint
from web.forms import Form
from web.models import User, db

logger = logging.getLogger(__name__)

MIN_PASSWORD_CHARS = 8
GENERATED_PASSWORD_BYTES = 9  # 12 characters of URL-safe base64


def role_labels() -> dict[str, str]:
    """Each role in words, in the page's language."""
    return {
        "coordinator": _("Điều phối viên (Sở KH&CN)"),
        "youth_union": _("Cán bộ Thành đoàn"),
        "dispatcher": _("Điều độ viên (Trung tâm Phục vụ hành chính công)"),
        "ward": _("Cán bộ xã, phường"),
        GROUP_LEADER: _("Tổ trưởng tổ dân phố, trưởng thôn"),
    }


class AccountForm(Form):
    username = StringField(
        _l("Tên đăng nhập"),
        validators=[
            DataRequired(_l("Hãy nhập tên đăng nhập.")),
            Length(max=80),
            Regexp(r"^[A-Za-z0-9._-]+$", message=_l("Chỉ dùng chữ không dấu, chữ số và . _ -")),
        ],
    )
    display_name = StringField(_l("Tên hiển thị"), validators=[Length(max=200)])
    role = SelectField(_l("Vai trò"), validators=[DataRequired()], validate_choice=False)
    ward = SelectField(_l("Xã, phường (bắt buộc với cán bộ xã, phường)"), validate_choice=False)
    password = PasswordField(
        _l("Mật khẩu (để trống để tạo ngẫu nhiên)"), validators=[Optional(), Length(min=MIN_PASSWORD_CHARS)]
    )
    submit = SubmitField(_l("Tạo tài khoản"))


def _check(form: AccountForm, ward_codes: set[str]) -> bool:
    """The form's own rules and the store's: role, ward for a ward official only, a free name."""
    ok = form.validate_on_submit()
    if form.role.data not in USER_ROLES:
        form.role.errors = [*form.role.errors, _("Hãy chọn một vai trò.")]
        ok = False
    if form.role.data in WARD_SCOPED_ROLES and form.ward.data not in ward_codes:
        form.ward.errors = [*form.ward.errors, _("Tài khoản cán bộ xã, phường cần chọn xã, phường.")]
        ok = False
    if form.role.data not in WARD_SCOPED_ROLES and form.ward.data:
        form.ward.errors = [*form.ward.errors, _("Chỉ tài khoản cán bộ xã, phường mới gắn với xã, phường.")]
        ok = False
    name = (form.username.data or "").strip()
    if name and db.session.scalar(select(User.id).where(User.username == name)) is not None:
        form.username.errors = [*form.username.errors, _("Tên đăng nhập này đã có.")]
        ok = False
    return ok


def _choices(form: AccountForm, wards: list) -> None:
    form.role.choices = [SelectChoice(role, label) for role, label in role_labels().items()]
    form.ward.choices = [SelectChoice("", "—")] + [SelectChoice(w.code, w.name) for w in wards]


@blueprint.route("/tai-khoan", methods=["GET", "POST"])
@role_required("coordinator")
def accounts():
    """Create an account; list every account."""
    campaign = store.campaign()
    wards = list(campaign.wards) if campaign is not None else []
    form = AccountForm()
    _choices(form, wards)
    created, generated, status = None, None, 200
    if form.is_submitted():
        if _check(form, {w.code for w in wards}):
            password = form.password.data or secrets.token_urlsafe(GENERATED_PASSWORD_BYTES)
            try:
                created = create_user(
                    form.username.data.strip(),
                    password,
                    form.role.data,
                    (form.display_name.data or "").strip(),
                    ward_code=form.ward.data or None,
                )
            except ValueError as error:  # a name taken between the check and the insert
                db.session.rollback()
                form.username.errors = [*form.username.errors, str(error)]
                status = 422
            else:
                logger.info("account %s (%s) created", created.username, created.role)
                generated = None if form.password.data else password
                form = AccountForm(formdata=None)
                _choices(form, wards)
        else:
            status = 422
    users = list(db.session.scalars(select(User).order_by(User.role, User.username)))
    ward_names = {w.code: w.name for w in wards}
    response = render_template(
        "coordinator/accounts.html",
        form=form,
        users=users,
        roles=role_labels(),
        ward_names=ward_names,
        created=created,
        generated=generated,
    )
    return response, status, {"Cache-Control": "no-store"}
