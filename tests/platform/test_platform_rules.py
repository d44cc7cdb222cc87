"""Issue 12: the ODR Platform Rules as a page of the app, in the ten UI languages, versioned with effective dates,
each rule anchored; every citation of a platform rule in the rules' data names a rule that exists."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
import yaml

from odr.config import UI_LOCALES
from odr.platform_rules import services

ROOT = Path(__file__).resolve().parents[2]
FOLDER = ROOT / "docs" / "platform-rules"
NUMBER = re.compile(r"\d+")
CODE = re.compile(r"`[^`]+`")


def entries(language: str) -> dict[tuple[int, str], dict]:
    data = yaml.safe_load((FOLDER / f"{language}.yaml").read_text(encoding="utf-8"))
    return {(int(e["number"]), str(e["since"])): e for e in data["rules"]}


def github_slug(heading: str) -> str:
    """The anchor GitHub gives a Markdown heading (what the citations' links point at)."""
    slug = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return slug.replace(" ", "-")


@pytest.mark.parametrize("language", [lang for lang in UI_LOCALES if lang != "en"])
def test_every_language_has_every_rule_of_every_version_carefully(language):
    english, translated = entries("en"), entries(language)
    assert set(translated) == set(english), "the same rules, entry by entry, as the English text"
    data = yaml.safe_load((FOLDER / f"{language}.yaml").read_text(encoding="utf-8"))
    assert data["language"] == language and data["title"] and data["preamble"]
    versions = [str(v["version"]) for v in yaml.safe_load((FOLDER / "versions.yaml").read_text())["versions"]]
    assert set(data["changes"]) == set(versions), "each version's changes described"
    for key, source in english.items():
        entry = translated[key]
        assert entry["title"] and entry["text"].strip(), key
        # A title may be the same word (German "Triage"); the text never is.
        assert entry["text"] != source["text"], f"rule {key} not translated"
        # Care: no number, article or file name of the English text is dropped or changed.
        missing = set(NUMBER.findall(source["text"])) - set(NUMBER.findall(entry["text"]))
        assert not missing, f"rule {key}: the numbers {sorted(missing)} are missing"
        assert set(CODE.findall(source["text"])) <= set(CODE.findall(entry["text"])), f"rule {key}: a path changed"


def test_the_version_in_force_depends_on_the_day(app):
    versions = services.versions()
    for earlier, later in zip(versions, versions[1:], strict=False):
        day_before = date.fromordinal(later.effective_from.toordinal() - 1)
        assert services.version_in_force(day_before) == earlier
        assert services.version_in_force(later.effective_from) == later
        before = {r.number for r in services.rules_of("en", earlier)}
        after = {r.number for r in services.rules_of("en", later)}
        assert before < after, "each version so far adds rules and keeps the earlier ones"
    assert {r.number for r in services.rules_of("en", versions[0])} == set(range(1, 19))
    assert 22 in {r.number for r in services.rules_of("en", versions[-1])}  # the seller's security


def test_citations_of_the_platform_rules_point_at_existing_rules(app):
    """Every link to docs/platform-rules.md#rule-N-... in the rules and jurisdictions data, and every
    "Rule N" cited under the instrument "ODR Platform Rules", names a rule of the version in force."""
    current = services.versions()[-1]
    rules = {r.number: r for r in services.rules_of("en", current)}
    slugs = {github_slug(f"Rule {n}: {r.title}") for n, r in rules.items()}
    data_files = [*ROOT.glob("rules/**/*.yaml"), *ROOT.glob("jurisdictions/*.yaml")]
    links = articles = 0
    for path in data_files:
        text = path.read_text(encoding="utf-8")
        for slug in re.findall(r"docs/platform-rules\.md#([\w-]+)", text):
            links += 1
            assert slug in slugs, f"{path.name}: #{slug} is not a rule heading of docs/platform-rules.md"
            assert services.rule_number(f"docs/platform-rules.md#{slug}") in rules
        for number in re.findall(r"ODR Platform Rules[^\n]*\n(?:[^\n]*\n)?\s*article: \"Rules? (\d+)", text):
            articles += 1
            assert int(number) in rules, f"{path.name}: Rule {number} does not exist"
    assert links > 10 and articles > 5


def test_the_document_is_written_from_the_data():
    result = subprocess.run(
        [sys.executable, "tools/platform_rules.py", "check"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize("language", UI_LOCALES)
def test_the_page_shows_the_version_in_force_with_anchored_rules_in_each_language(app, client, language):
    page = client.get(f"/platform-rules?lang={language}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    current = services.version_in_force(date.today())
    rules = services.rules_of(language, current)
    assert current.version in html
    for rule in rules:
        assert f'id="rule-{rule.number}"' in html
        assert rule.title.replace("'", "&#39;") in html
    assert "2026.1" in html  # the earlier version is listed, with its date


def test_an_earlier_version_is_readable_and_says_so(app, client):
    html = client.get("/platform-rules?version=2026.1&lang=en").get_data(as_text=True)
    assert 'id="rule-18"' in html and 'id="rule-19"' not in html
    assert "replaced by a later version" in html
    assert client.get("/platform-rules?version=1999.9").status_code == 404


def test_a_citation_in_the_app_links_the_anchored_rule(app, world, browser):
    from odr.cases import services as cases
    from tests.conftest import notice_data

    case = cases.file_notice(world.holder, notice_data(jurisdiction="GB")).obj
    html = browser(world.holder).get(f"/cases/{case.id}?lang=en").get_data(as_text=True)
    anchors = set(re.findall(r'href="/platform-rules#rule-(\d+)"', html))
    assert anchors, "the case page cites a platform rule with a link to its anchor"
    numbers = {r.number for r in services.rules_of("en", services.version_in_force(date.today()))}
    assert {int(n) for n in anchors} <= numbers
    assert "docs/platform-rules.md" not in html
