"""Flask-WTF forms (every form carries a CSRF token).

Every form derives from :class:`Form`, whose text fields pass their data through
:func:`web.edge.clean_text`: a one-line field (``StringField``) gets its line breaks and tabs turned into
spaces, a ``TextAreaField`` keeps them. The request's fields are already cleaned by :mod:`web.edge`; the
form adds the one-line rule. Passwords are left as typed. A whole number is a :class:`WholeNumberField`:
ASCII digits within 64 bits, so no validator ever meets a number it cannot compare.
"""

from __future__ import annotations

import re
from functools import partial

from flask import has_request_context, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, PasswordField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from web.edge import clean_text

WHOLE_NUMBER = re.compile(r"-?[0-9]{1,18}")


def _clean(value, multiline: bool):
    return clean_text(value, multiline=multiline) if isinstance(value, str) else value


class Form(FlaskForm):
    """The base of the app's forms: text fields normalised by :func:`web.edge.clean_text`."""

    class Meta:
        def wrap_formdata(self, form, formdata):
            """The posted form; a JSON body is none (Flask-WTF would read it as one, in any shape)."""
            if formdata is not None and not hasattr(formdata, "getlist") and has_request_context() and request.is_json:
                return None
            return super().wrap_formdata(form, formdata)

        def bind_field(self, form, unbound_field, options):
            field_class = unbound_field.field_class
            if issubclass(field_class, StringField) and not issubclass(field_class, PasswordField):
                multiline = issubclass(field_class, TextAreaField)
                filters = [*unbound_field.kwargs.get("filters", ()), partial(_clean, multiline=multiline)]
                return unbound_field.bind(form=form, filters=filters, **options)
            return unbound_field.bind(form=form, **options)


class WholeNumberField(IntegerField):
    """A whole number typed with the digits 0–9 (and a leading minus sign), at most 18 of them.

    Anything else (``1e3``, ``inf``, ``nan``, a number of 400 digits, other scripts' digits) is refused with
    a message, and the field's data is None.
    """

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        text = valuelist[0].strip()
        if not WHOLE_NUMBER.fullmatch(text):
            self.data = None
            raise ValueError(_("Hãy nhập một số nguyên bằng các chữ số 0–9 (tối đa 18 chữ số)."))
        self.data = int(text)


class LoginForm(Form):
    username = StringField(_l("Tên đăng nhập"), validators=[DataRequired(), Length(max=80)])
    password = PasswordField(_l("Mật khẩu"), validators=[DataRequired()])
    submit = SubmitField(_l("Đăng nhập"))


class ActionForm(Form):
    """A form with nothing but its CSRF token, for buttons that change something."""

    submit = SubmitField(_l("Xác nhận"))
