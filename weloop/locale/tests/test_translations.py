"""The UI speaks Simplified Chinese by default and English on request; the catalog stays complete.

When a test here fails after you added or changed a string: run ``make messages``, translate the
empty entries in weloop/locale/zh_Hans/LC_MESSAGES/django.po, and run ``make messages`` again
(it compiles django.mo, which is committed).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import polib
import pytest
from django.core.management import call_command
from django.test import override_settings

from weloop.core import error_messages
from weloop.locale.collect_error_messages import collect

LOCALE_DIR = Path(__file__).resolve().parents[1]
PROJECT_DIR = LOCALE_DIR.parents[1]
CATALOG = LOCALE_DIR / "zh_Hans" / "LC_MESSAGES" / "django.po"
COMPILED = CATALOG.with_suffix(".mo")
HOW_TO_FIX = "run `make messages`, translate the empty entries in weloop/locale/zh_Hans/LC_MESSAGES/django.po, repeat"
# Placeholders a translation must keep exactly: %(name)s, %(limit)d, %s, and HTML tags.
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|<[^>]+>")


def _catalog() -> polib.POFile:
    return polib.pofile(str(CATALOG))


def _current(po: polib.POFile) -> list[polib.POEntry]:
    return [entry for entry in po if not entry.obsolete]


def _translation(entry: polib.POEntry | polib.MOEntry) -> tuple[str, ...]:
    """The msgstr, or every plural form in order for a plural entry."""
    if entry.msgid_plural:
        return tuple(entry.msgstr_plural[n] for n in sorted(entry.msgstr_plural))
    return (entry.msgstr,)


# --- pages -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_login_page_is_chinese_by_default(client):
    html = client.get("/accounts/login/").content.decode()

    assert '<html lang="zh-hans">' in html
    assert "<h1>登录</h1>" in html
    assert "请输入登录名和密码" not in html  # only shown after a failed attempt
    assert "Sign in" not in html


@pytest.mark.django_db
def test_login_page_is_english_when_the_browser_asks_for_it(client):
    html = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert '<html lang="en">' in html
    assert "<h1>Sign in</h1>" in html
    assert "登录" not in html


def test_merchant_console_is_chinese(owner_client, store):
    html = owner_client.get("/dashboard/").content.decode()

    assert "概览" in html and "门店" in html and "会员" in html
    assert "Overview" not in html


def test_h5_home_shows_chinese_labels(client, merchant, store):
    html = client.get(f"/m/{merchant.slug}/").content.decode()

    assert "我们的门店" in html  # "Our stores"
    assert "首页" in html and "我的" in html  # the tab bar: Home, Me
    assert store.name in html  # merchant data is shown as entered
    assert "Our stores" not in html


@pytest.mark.django_db
def test_error_page_shows_the_error_message_in_chinese(client):
    response = client.get("/m/no-such-shop/")

    assert response.status_code == 404
    html = response.content.decode()
    assert "该地址对应的商户不存在。" in html
    assert "tenants.unknown_merchant" in html  # the code stays as it is: clients branch on it


@pytest.mark.django_db
def test_error_page_is_english_when_the_browser_asks_for_it(client):
    html = client.get("/m/no-such-shop/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "No merchant with this address exists." in html


def test_api_errors_keep_the_english_message(api_client):
    # The JSON API is for programs: its messages are not translated (only error pages are).
    body = api_client.get("/api/v1/stores/st_NOPE").json()

    assert body["code"] == "not_found"
    assert re.fullmatch(r"[ -~]+", body["message"]), body["message"]


# --- the catalog -------------------------------------------------------------------------------


def test_catalog_says_chinese_with_one_plural_form():
    metadata = _catalog().metadata

    assert metadata["Language"] == "zh_Hans"
    assert metadata["Plural-Forms"] == "nplurals=1; plural=0;"


def test_every_entry_is_translated_and_none_is_fuzzy():
    entries = _current(_catalog())
    untranslated = [e.msgid for e in entries if not all(_translation(e))]
    fuzzy = [e.msgid for e in entries if "fuzzy" in e.flags]

    assert len(entries) > 500
    assert untranslated == [], f"{len(untranslated)} strings have no Chinese translation: {HOW_TO_FIX}"
    assert fuzzy == [], f"fuzzy translations are ignored at run time; check them and remove the flag: {fuzzy}"


def test_translations_keep_every_placeholder():
    broken = []
    for entry in _current(_catalog()):
        translations = [entry.msgstr] if not entry.msgid_plural else list(entry.msgstr_plural.values())
        for translation in translations:
            if sorted(PLACEHOLDER.findall(entry.msgid)) != sorted(PLACEHOLDER.findall(translation)):
                broken.append((entry.msgid, translation))

    assert broken == []


def test_compiled_catalog_matches_the_po_file():
    # django.mo is what Django reads; a .po edited without `make messages` changes nothing on screen.
    compiled = {entry.msgid: _translation(entry) for entry in polib.mofile(str(COMPILED)) if entry.msgid}
    written = {
        e.msgid: _translation(e) for e in _current(_catalog()) if any(_translation(e)) and "fuzzy" not in e.flags
    }

    assert compiled == written, f"django.mo is stale: {HOW_TO_FIX}"


@pytest.mark.django_db
def test_error_message_list_is_up_to_date():
    # Error pages translate WeloopError messages; makemessages only finds them in this generated list.
    listed = set(error_messages.MESSAGES)
    found = set(collect())

    assert found - listed == set(), f"new error messages are not listed for translation: {HOW_TO_FIX}"
    assert listed - found == set(), f"error messages no longer used are still listed: {HOW_TO_FIX}"


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="makemessages needs GNU gettext")
def test_every_string_in_the_code_is_in_the_catalog(tmp_path, monkeypatch):
    # Extract afresh into a scratch directory ("locale" is ignored so weloop/locale/ is left alone).
    monkeypatch.chdir(PROJECT_DIR)
    with override_settings(LOCALE_PATHS=[str(tmp_path)]):
        call_command(
            "makemessages",
            locale=["zh_Hans"],
            extensions=["html", "py", "txt"],
            ignore_patterns=[".venv", "tests", "bench", "var", "docs", "locale"],
            verbosity=0,
        )
    extracted = {e.msgid for e in polib.pofile(str(tmp_path / "zh_Hans" / "LC_MESSAGES" / "django.po"))}
    catalog = {e.msgid for e in _current(_catalog())}

    missing = sorted(extracted - catalog)
    assert missing == [], f"{len(missing)} strings are not in the catalog yet: {HOW_TO_FIX}. First: {missing[:5]}"
