"""On a 390 px phone the tables people read become cards, in English, Chinese and Arabic.

The right holder's case list on the dashboard, the seller's inbox and the mediator's desk: no table scrolls
sideways, each row is a card within the screen, and each cell shows its column's name (the same words as the
table's header, which stays in the markup for screen readers), except the cell that heads its card. Arabic
mirrors: the labels and the inbox's button sit on the other side. The inbox is one short card per delivery, the
statement the law requires folded under its summary and one click away. At desktop width the tables stay tables.
axe-core finds no violation.
"""

from __future__ import annotations

import pytest

from tests.browser.conftest import sign_in
from tests.browser.test_ui import ACCOUNTS, PASSWORD, _axe, _shoot, _visit

pytestmark = pytest.mark.browser

LOCALES = ("en", "zh_Hans", "ar")
PHONE = 390
PAGES = {"right_holder": "/", "seller": "/inbox", "mediator": "/mediation"}
# The other list tables that have rows in the demo, by the reader who reads them.
OTHER_PAGES = {
    "admin": ("/admin/audit", "/admin/translations", "/transparency/register", "/platform-rules"),
    "court": ("/court",),
    "right_holder": ("/transparency/report",),
}

# Every table of the page: whether it (or its box) scrolls sideways; and every row of a table that reflows:
# its box, how it is displayed, and each cell's column header, label and whether the label is in sight.
TABLES_JS = """() => {
  const tables = [...document.querySelectorAll('main table')].map(table => {
    const box = table.closest('.table-wrap') || table;
    const heads = [...table.querySelectorAll('thead th')].map(th => th.textContent.trim());
    const rows = [...table.querySelectorAll('tbody > tr')].map(tr => {
      const r = tr.getBoundingClientRect();
      return {
        left: r.left, right: r.right, display: getComputedStyle(tr).display,
        cells: [...tr.children].map((td, i) => {
          const before = getComputedStyle(td, '::before');
          return {header: heads[i] || '', label: td.dataset.label ?? null, title: td.classList.contains('card-title'),
                  shown: before.display !== 'none' && before.content !== 'none' && before.content !== 'normal'};
        }),
      };
    });
    const sideways = box.scrollWidth > box.clientWidth + 1 || table.scrollWidth > table.clientWidth + 1;
    return {classes: table.className, sideways,
            head: table.tHead ? table.tHead.getBoundingClientRect().height : 0, rows};
  });
  return {width: innerWidth, page: document.documentElement.scrollWidth, tables};
}"""


def _problems_with_cards(found) -> list[str]:
    problems = []
    if found["page"] > found["width"]:
        problems.append(f"the page is {found['page']} px wide")
    reflowing = [t for t in found["tables"] if "reflow" in t["classes"].split()]
    if not reflowing:
        problems.append("no table reflows into cards")
    for table in found["tables"]:
        if table["sideways"]:
            problems.append(f"table.{table['classes']} scrolls sideways")
    for table in reflowing:
        if table["head"] > 1:
            problems.append(f"table.{table['classes']}: its header row is in sight ({table['head']} px)")
        for n, row in enumerate(table["rows"]):
            where = f"table.{table['classes']} row {n + 1}"
            if row["display"] == "table-row":
                problems.append(f"{where} is a table row, not a card")
            if row["left"] < 0 or row["right"] > found["width"]:
                problems.append(f"{where} reaches {row['left']:.0f}..{row['right']:.0f} px")
            for cell in row["cells"]:
                if cell["header"] and cell["label"] != cell["header"]:
                    problems.append(f"{where}: a cell labelled {cell['label']!r} under {cell['header']!r}")
                if cell["header"] and not cell["title"] and not cell["shown"]:
                    problems.append(f"{where}: the label {cell['header']!r} is not in sight")
                if cell["title"] and cell["shown"]:
                    problems.append(f"{where}: the card's heading {cell['header']!r} carries a label in sight")
    return problems


def _box(locator):
    box = locator.bounding_box(timeout=5000)
    assert box, "not in sight"
    return box


# For the first labelled cell of each card table: the room between the cell's start edge (left in English, right in
# Arabic) and its words, which is where the label sits.
LABEL_ROOM_JS = """() => [...document.querySelectorAll('main table.reflow')].map(table => {
  const td = table.querySelector('tbody > tr > td[data-label]:not([data-label=""]):not(.card-title)');
  if (!td) return null;
  const range = document.createRange();
  range.selectNodeContents(td);
  const cell = td.getBoundingClientRect(), words = range.getClientRects()[0];
  const rtl = getComputedStyle(td).direction === 'rtl';
  return rtl ? cell.right - words.right : words.left - cell.left;
})"""


def _mirrored(page, path, locale) -> list[str]:
    """The labels and the inbox's button are on the sides the reader's direction puts them."""
    problems = [
        f"{locale}: no label at the start of a cell ({room:.0f} px)"
        for room in page.evaluate(LABEL_ROOM_JS)
        if room is not None and room < 30
    ]
    if path == "/inbox":
        card = page.locator("table.inbox tbody tr").first
        title, button = _box(card.locator("td.what")), _box(card.locator("button[type=submit]"))
        # The button shares the title's first line, at the end of the line.
        if button["y"] > title["y"] + title["height"]:
            problems.append(f"{locale}: the inbox's button is below its title")
        at_end = button["x"] < title["x"] if locale == "ar" else button["x"] > title["x"]
        if not at_end:
            problems.append(f"{locale}: the inbox's button is not at the end of the line")
    return problems


@pytest.mark.parametrize("role", list(PAGES))
def test_on_a_phone_each_table_row_is_a_card_with_its_labels(chromium, live_app, axe_source, role):
    path = PAGES[role]
    context, page = sign_in(chromium, live_app, ACCOUNTS[role], PASSWORD, PHONE)
    problems: list[str] = []
    try:
        for locale in LOCALES:
            _visit(page, path, locale)
            problems += [f"{role} {path} [{locale}]: {p}" for p in _problems_with_cards(page.evaluate(TABLES_JS))]
            problems += [f"{role} {path} [{locale}] axe {v}" for v in _axe(page, axe_source)]
            problems += _mirrored(page, path, locale)
            _shoot(page, f"phone-cards-{role}-{locale}")
            if locale == "ar":
                direction = page.evaluate("getComputedStyle(document.querySelector('table.reflow td')).direction")
                assert direction == "rtl"
        # At desktop width the same tables are tables: header in sight, rows as rows.
        page.set_viewport_size({"width": 1280, "height": 900})
        _visit(page, path, "en")
        for table in page.evaluate(TABLES_JS)["tables"]:
            assert table["head"] > 1 and all(row["display"] == "table-row" for row in table["rows"]), table["classes"]
    finally:
        context.close()
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("role", list(OTHER_PAGES))
def test_on_a_phone_the_other_list_tables_are_cards_too(chromium, live_app, axe_source, role):
    context, page = sign_in(chromium, live_app, ACCOUNTS[role], PASSWORD, PHONE)
    problems: list[str] = []
    try:
        for path in OTHER_PAGES[role]:
            for locale in ("en", "ar"):
                _visit(page, path, locale)
                found = page.evaluate(TABLES_JS)
                problems += [f"{role} {path} [{locale}]: {p}" for p in _problems_with_cards(found)]
                problems += [f"{role} {path} [{locale}] axe {v}" for v in _axe(page, axe_source)]
                problems += [f"{role} {path} {p}" for p in _mirrored(page, path, locale)]
    finally:
        context.close()
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("locale", LOCALES)
def test_on_a_phone_the_inbox_folds_the_statement_the_law_requires_one_click_away(chromium, live_app, locale):
    context, page = sign_in(chromium, live_app, ACCOUNTS["seller"], PASSWORD, PHONE)
    try:
        _visit(page, "/inbox", locale)
        card = page.locator("table.inbox tbody tr", has=page.locator("details.statement")).first
        text, rule = card.locator(".statement-text"), card.locator(".statement-rule cite")
        # Folded: the card shows what was served, the case and when; not the statement's full text.
        assert not text.is_visible() and not rule.is_visible()
        assert card.locator("td.case").is_visible() and card.locator("td.served").is_visible()
        # One click on its summary shows the text and the rule that requires it.
        card.locator("details.statement summary").click()
        assert text.is_visible() and rule.is_visible()
        assert text.inner_text().strip() and rule.inner_text().strip()
        assert _box(text)["x"] >= 0 and _box(text)["x"] + _box(text)["width"] <= PHONE
    finally:
        context.close()
