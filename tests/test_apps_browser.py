"""The apps in a real browser: what a person types reaches the check unchanged, and a refusal shows as one."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.browser import launch as launch_chromium

pytestmark = pytest.mark.slow

WIDTHS = (390, 1280)  # a phone and a laptop
#: Where the screenshots of one refusal (`KEPT`, at both widths) are saved, to look at after the run.
SHOTS = Path("/tmp/shots")
KEPT = ("iris", "-3")
#: (app, field as the form labels it, what a person types, the message the form must show)
REFUSALS = [
    ("iris", "Sepal length (cm)", "-3", r"Sepal length \(cm\) \[sepal_length\] is -3.0: expected between 3 and 10"),
    ("iris", "Sepal length (cm)", "500", r"\[sepal_length\] is 500.0: expected between 3 and 10"),
    ("iris", "Petal width (cm)", "", r"Petal width \(cm\) \[petal_width\] is empty: expected between 0.05 and 3.5"),
    ("iris", "Petal length (cm)", "long", r"Petal length \(cm\) \[petal_length\] must be a number, got 'long'"),
    ("titanic", "Age (years)", "500", r"Age \(years\) \[age\] is 500.0: expected between 0 and 120"),
    ("titanic", "Fare (pounds)", "", r"Fare \(pounds\) \[fare\] is empty: expected between 0 and 1000"),
    ("titanic", "Siblings and spouses aboard", "two", r"\[sibsp\] must be a number, got 'two': expected a whole"),
    ("titanic", "Port of embarkation", "Atlantis",
     r"\[embarked\] is 'Atlantis': expected one of Cherbourg, Queenstown, Southampton"),
]  # fmt: skip


@pytest.fixture(scope="module")
def browser():
    """One browser profile for the file, as a person's: every test opens its own new tab, and the apps'
    scripts come from its cache after the first visit."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        yield browser.new_context()
        browser.close()


def _open(browser, url: str, width: int):
    """A new tab at `width`, once the app has drawn its first button or heading (Gradio draws a block with its
    event handlers; waiting for the network to go quiet instead costs half a second a page)."""
    page = browser.new_page()
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(url)
    page.locator("button, h1, h2").first.wait_for(timeout=30_000)
    return page


def _type(page, field: str, text: str) -> None:
    box = page.get_by_label(field)
    box.fill(text)
    box.press("Tab")  # a dropdown takes a typed value when it loses focus


def _predict(page) -> None:
    page.get_by_role("button", name="Predict").click()


def _shown_prediction(page) -> str | None:
    """The predicted class the page shows, once the answer (a prediction or an error) has come."""
    page.wait_for_selector('[data-testid="label-output-value"], [data-testid="toast-body"]', timeout=30_000)
    values = page.locator('[data-testid="label-output-value"]')
    return values.first.inner_text() if values.count() else None


@pytest.mark.parametrize(("app", "field", "text", "message"), REFUSALS)
def test_a_typed_value_is_refused_as_typed(servers, browser, app, field, text, message):
    log = servers["logs"][app]
    for width in WIDTHS:
        before = log.read_text()
        page = _open(browser, servers["urls"][app], width)
        _type(page, field, text)
        _predict(page)
        toast = page.get_by_test_id("toast-body")
        toast.wait_for(timeout=30_000)
        assert re.search(message, toast.inner_text()), toast.inner_text()
        assert _shown_prediction(page) is None  # no prediction, not one for a clamped value
        if (app, text) == KEPT:
            page.wait_for_timeout(1000)  # the toast slides in and fades up; shoot it once it is there
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOTS / f"refused-{width}.png"), full_page=True)
        page.close()
        added = log.read_text()[len(before) :]
        refused = [line for line in added.splitlines() if "refused" in line]
        assert len(refused) == 1 and refused[0].startswith("refused: ") and re.search(message, refused[0]), added
        assert "Traceback" not in added


def test_titanic_age_left_empty_is_missing_not_the_youngest(servers, browser, tmp_path):
    """An empty age once became 0.42 (the slider's minimum) and flipped the prediction; now the model imputes it."""
    log = servers["logs"]["titanic"]
    before = log.read_text()
    page = _open(browser, servers["urls"]["titanic"], 1280)
    _type(page, "Age (years)", "")
    _predict(page)
    assert _shown_prediction(page) in ("Died", "Survived")
    assert page.get_by_test_id("toast-body").count() == 0
    page.screenshot(path=str(tmp_path / "titanic-age-empty-1280.png"), full_page=True)
    page.close()
    assert log.read_text() == before  # nothing refused


def test_a_refusal_after_a_prediction_leaves_no_prediction_standing(servers, browser):
    page = _open(browser, servers["urls"]["iris"], 390)
    _predict(page)
    assert _shown_prediction(page) in ("Setosa", "Versicolor", "Virginica")
    _type(page, "Sepal length (cm)", "42")
    _predict(page)
    page.get_by_test_id("toast-body").wait_for(timeout=30_000)
    assert page.locator('[data-testid="label-output-value"]').count() == 0
    page.close()


@pytest.mark.parametrize("app", ["iris-monitoring", "titanic-monitoring"])
def test_monitoring_chart_titles_show_on_a_phone(servers, browser, tmp_path, app):
    page = _open(browser, servers["urls"][app], 390)
    for title in ("Newest sample, predicted", "Newest sample, actual", "Confusion matrix", "Accuracy over time"):
        image = page.get_by_role("img", name=title, exact=True)
        image.wait_for(timeout=30_000)
        heading = page.get_by_role("heading", name=title, exact=True).bounding_box()
        image = image.bounding_box()
        assert heading["y"] + heading["height"] <= image["y"], title  # above it, not over it
    floating = page.get_by_test_id("block-label").evaluate_all("els => els.filter(e => e.offsetParent !== null)")
    assert floating == []  # no label floats over a chart
    assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 1
    page.screenshot(path=str(tmp_path / f"{app}-390.png"), full_page=True)
    page.close()


#: Every table of the page fits its box or scrolls in it, the page never scrolls sideways; each hint's contrast.
_LAYOUT = """() => {
  const tables = [...document.querySelectorAll('table')].filter(t => t.offsetParent !== null).map(t => {
    let box = t.parentElement;
    while (box && !['auto', 'scroll'].includes(getComputedStyle(box).overflowX)) box = box.parentElement;
    const wide = box ? box.scrollWidth > box.clientWidth + 1 : false;
    let scrolls = false;
    if (box && wide) { box.scrollLeft = 40; scrolls = box.scrollLeft > 0; box.scrollLeft = 0; }
    const right = t.getBoundingClientRect().right;
    return {fits: !wide && right <= innerWidth + 1, scrolls};
  });
  const rgb = c => c.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const lum = c => {
    const v = rgb(c).map(x => x / 255).map(x => x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4);
    return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2];
  };
  const background = e => {
    for (; e; e = e.parentElement) {
      const c = getComputedStyle(e).backgroundColor;
      if (c && !c.startsWith('rgba(0, 0, 0, 0)') && c !== 'transparent') return c;
    }
    return 'rgb(255, 255, 255)';
  };
  const hints = [...document.querySelectorAll('.info-text')].map(e => {
    const [a, b] = [lum(getComputedStyle(e).color), lum(background(e))];
    return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  });
  return {tables, hints, pageWidth: document.documentElement.scrollWidth};
}"""


@pytest.mark.parametrize("app", ["iris", "titanic", "iris-monitoring", "titanic-monitoring"])
def test_tables_and_hints_on_a_phone(servers, browser, app):
    """At 390 px: the examples and the predictions table fit or scroll in their own box (never cut off, the page
    never wider than the phone); hint text has WCAG AA contrast (4.5:1)."""
    page = _open(browser, servers["urls"][app], 390)
    page.wait_for_selector("table", timeout=30_000)
    if app.endswith("monitoring"):
        page.wait_for_function("document.querySelectorAll('table tbody tr').length > 0", timeout=30_000)
    layout = page.evaluate(_LAYOUT)
    assert layout["pageWidth"] <= 390 + 1
    assert layout["tables"] and all(t["fits"] or t["scrolls"] for t in layout["tables"]), layout["tables"]
    if not app.endswith("monitoring"):
        assert layout["hints"] and min(layout["hints"]) >= 4.5, layout["hints"]
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{app}-tables-390.png"), full_page=True)
    page.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_a_refusal_shows_where_it_is_seen(servers, browser, width):
    """The error toast sits inside the window the person is looking at, not somewhere down the page."""
    page = _open(browser, servers["urls"]["titanic"], width)
    _type(page, "Age (years)", "500")
    _predict(page)
    toast = page.get_by_test_id("toast-body")
    toast.wait_for(timeout=30_000)
    box = toast.bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= 900 and box["x"] >= 0 and box["x"] + box["width"] <= width
    page.close()
