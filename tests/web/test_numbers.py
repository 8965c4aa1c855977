"""Numbers and percentages in the reader's locale (web.numbers, the templates' num and pct filters)."""

from web.numbers import number, percent


def test_vietnamese_groups_with_dots_and_decimals_with_commas():
    assert number(32530, locale="vi") == "32.530"
    assert percent(98.66, locale="vi") == "98,7%"
    assert number(7.25, 1, locale="vi") == "7,2" or number(7.25, 1, locale="vi") == "7,3"


def test_english_groups_with_commas():
    assert number(32530, locale="en") == "32,530"
    assert percent(98.66, locale="en") == "98.7%"
    assert number(12.0, 1, locale="en") == "12"


def test_missing_values_show_a_dash():
    assert number(None) == "—"
    assert percent(None) == "—"


def test_filters_follow_the_session_language(loaded_app):
    # compiled outside any request, with constants: the filters must not be folded in the default locale
    template = loaded_app.jinja_env.from_string("{{ 32530|num }} {{ 98.66|pct }}")
    with loaded_app.test_request_context("/"):
        loaded_app.preprocess_request()
        assert template.render() == "32.530 98,7%"
    with loaded_app.test_request_context("/?lang=en"):
        loaded_app.preprocess_request()
        assert template.render() == "32,530 98.7%"
