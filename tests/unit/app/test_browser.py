"""The browser driver clicks as a user would: it waits out an element laid over the button for a moment, and
names the button when it never becomes clickable."""

import pytest

selenium_exceptions = pytest.importorskip("selenium.common.exceptions")

from ada.app.browser import AppBrowser  # noqa: E402


class Button:
    def __init__(self, covered_for: int):
        self.covered_for, self.clicks = covered_for, 0

    def click(self):
        if self.covered_for:
            self.covered_for -= 1
            raise selenium_exceptions.ElementClickInterceptedException("Other element would receive the click")
        self.clicks += 1


def page_with(button):
    page = AppBrowser.__new__(AppBrowser)  # no Chromium: the click logic alone
    page.find = lambda css: [button] if css == "#generate-button" else []
    page.errors = lambda: ""
    return page


def test_a_click_waits_until_nothing_lies_over_the_button_and_clicks_once():
    button = Button(covered_for=3)
    page_with(button).click("generate-button")
    assert button.clicks == 1 and button.covered_for == 0


def test_a_button_covered_for_good_fails_naming_it(monkeypatch):
    page = page_with(Button(covered_for=10**9))
    clock = iter(range(0, 10**6, 10))
    monkeypatch.setattr("ada.app.browser.time.monotonic", lambda: next(clock))
    monkeypatch.setattr("ada.app.browser.time.sleep", lambda s: None)
    with pytest.raises(TimeoutError, match="#generate-button, clickable"):
        page.click("generate-button")
