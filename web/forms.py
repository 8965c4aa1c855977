"""Flask-WTF forms (every form carries a CSRF token)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Length


class LoginForm(FlaskForm):
    username = StringField(_l("Tên đăng nhập"), validators=[DataRequired(), Length(max=80)])
    password = PasswordField(_l("Mật khẩu"), validators=[DataRequired()])
    submit = SubmitField(_l("Đăng nhập"))


class ActionForm(FlaskForm):
    """A form with nothing but its CSRF token, for buttons that change something."""

    submit = SubmitField(_l("Xác nhận"))
