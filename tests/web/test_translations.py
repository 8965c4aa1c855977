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
