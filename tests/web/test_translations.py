"""The English catalogue covers every Vietnamese string of the web app, and the compiled catalogue is current."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "web" / "translations" / "en" / "LC_MESSAGES"
# The same extraction as babel.cfg and `pybabel extract -k _l -k lazy_gettext`, scanning web/ only.
METHODS = [("**.py", "python"), ("templates/**.html", "jinja2")]
KEYWORDS = dict(DEFAULT_KEYWORDS, _l=None, lazy_gettext=None)


def _msgids() -> set[str]:
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(str(ROOT / "web"), METHODS, keywords=KEYWORDS):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_string_has_an_english_translation():
    with open(CATALOGUE / "messages.po", "rb") as stream:
        catalogue = read_po(stream)
    translated = {m.id for m in catalogue if m.id and m.string}
    missing = sorted(_msgids() - translated)
    assert missing == []


def test_the_compiled_catalogue_matches_the_source():
    with open(CATALOGUE / "messages.po", "rb") as stream:
        source = {m.id: m.string for m in read_po(stream) if m.id}
    with open(CATALOGUE / "messages.mo", "rb") as stream:
        compiled = {m.id: m.string for m in read_mo(stream) if m.id}
    assert compiled == source


def test_english_switch_changes_the_page(client):
    assert "Ca trực của tôi" in client.get("/").get_data(as_text=True)
    english = client.get("/?lang=en").get_data(as_text=True)
    assert "My shifts" in english and "Ca trực của tôi" not in english
    assert "My shifts" in client.get("/").get_data(as_text=True)  # remembered in the session


def test_the_page_catalogue_translates_and_escapes_like_flask_babel(loaded_app):
    """The templates' gettext bound once per page gives what Flask-Babel's gives, escaping the variables."""
    from flask import render_template_string

    source = "{{ _('Đăng nhập') }}|{{ _('Xin chào %(name)s!', name=who) }}|{{ ngettext('%(num)s người', '%(num)s người', 2) }}"
    with loaded_app.test_request_context("/?lang=en"):
        loaded_app.preprocess_request()
        shown = render_template_string(source, who="<b>An</b>")
    assert shown.split("|")[0] == "Sign in"
    assert shown.split("|")[1] == "Hello &lt;b&gt;An&lt;/b&gt;!"
    assert shown.split("|")[2].startswith("2 ")
    with loaded_app.test_request_context("/"):
        loaded_app.preprocess_request()
        assert render_template_string(source, who="An").split("|")[:2] == ["Đăng nhập", "Xin chào An!"]
