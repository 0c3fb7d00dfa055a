"""The app driven in Debian's headless Chromium (Selenium and chromedriver): what its browser tests and
`make app-screenshots` do as a user would, clicking and uploading, and how long the first sound takes."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"


def available() -> bool:
    """Debian's chromium and chromedriver (`make system-deps`) and selenium (the dev extra) are installed."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return False
    return bool(shutil.which("chromium") and shutil.which("chromedriver"))


class AppBrowser:
    """One headless Chromium on the app's page."""

    def __init__(self, address: str, width: int = 1400, height: int = 1800):
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", f"--window-size={width},{height}",
                     "--autoplay-policy=no-user-gesture-required", "--disable-dev-shm-usage"):
            options.add_argument(flag)
        self.driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
        self.driver.get(address)
        self.wait(lambda: self.find("button"), 60, "the page")

    def close(self) -> None:
        self.driver.quit()

    def find(self, css: str) -> list:
        from selenium.webdriver.common.by import By

        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def wait(self, ready, seconds: float, what: str, every: float = 0.05):
        """Poll `ready()` until it is truthy; a timeout names what never came and the page's last error."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            value = ready()
            if value:
                return value
            time.sleep(every)
        raise TimeoutError(f"{what} did not come within {seconds:g} s; the page says: {self.errors() or 'nothing'}")

    def tab(self, name: str) -> None:
        self._click_when_free(lambda: [b for b in self.find("button[role=tab]") if b.text.strip() == name],
                              f"the {name} tab")

    def click(self, elem_id: str) -> float:
        """Click a button; returns when it was clicked (time.monotonic())."""
        self._click_when_free(lambda: self.find(f"#{elem_id}"), f"#{elem_id}")
        return time.monotonic()

    def _click_when_free(self, found, what: str) -> None:
        """Click the first element `found()` gives once the page lets a user click it: while a layout settles,
        another element can lie over it for a moment, and a redraw can replace it."""
        from selenium.common.exceptions import ElementClickInterceptedException, StaleElementReferenceException

        def clicked():
            elements = found()
            if not elements:
                return False
            try:
                elements[0].click()
            except (ElementClickInterceptedException, StaleElementReferenceException):
                return False
            return True

        self.wait(clicked, 30, f"{what}, clickable", every=0.2)

    def upload(self, elem_id: str, path: Path) -> None:
        """Choose a file in an upload component, as a user's file dialog does, and wait until it shows it (an
        audio component its player's times, a file component the file's name)."""
        self.wait(lambda: self.find(f"#{elem_id} input[type=file]"), 10, f"{elem_id}'s file input")
        before = self.text(elem_id)
        self.find(f"#{elem_id} input[type=file]")[0].send_keys(str(Path(path).resolve()))
        self.wait(lambda: self.text(elem_id) != before and "Uploading" not in self.text(elem_id), 60,
                  f"{Path(path).name} in #{elem_id}")

    def clear(self, elem_id: str) -> None:
        """Empty an upload component (its Clear button), so that another file can be chosen."""
        [button] = self.wait(lambda: self.find(f"#{elem_id} button[aria-label=Clear]"), 10, f"{elem_id}'s Clear")
        self.driver.execute_script("arguments[0].click();", button)  # under a message the page still shows
        self.wait(lambda: self.find(f"#{elem_id} input[type=file]"), 10, f"{elem_id} emptied")

    def text(self, elem_id: str) -> str:
        """What a component shows (read in the page, so a component redrawn meanwhile is never stale)."""
        return self.driver.execute_script(
            "const e = document.getElementById(arguments[0]); return e ? e.innerText : '';", elem_id)

    def wait_text(self, elem_id: str, needle: str, seconds: float = 300) -> str:
        """Wait until a component shows `needle`; a message the page shows instead fails at once."""
        def ready():
            shown = self.text(elem_id)
            if needle in shown:
                return shown
            if self.errors():
                raise RuntimeError(f"waiting for {needle!r} in #{elem_id}, the page says: {self.errors()}")
            return None

        return self.wait(ready, seconds, f"{needle!r} in #{elem_id}")

    def audio_sources(self, elem_id: str) -> list[str]:
        """The sources of a component's audio elements (a streaming player's is set with its first audio)."""
        return [a.get_attribute("src") for a in self.find(f"#{elem_id} audio") if a.get_attribute("src")]

    def players(self, css: str = "") -> int:
        """Players that hold audio under `css` (the page when empty): audio elements with a source, and Gradio's
        waveform players, drawn once their file has loaded."""
        return len([a for a in self.find(f"{css} audio".strip()) if a.get_attribute("src")]) + len(
            self.find(f"{css} .waveform-container".strip()))

    def errors(self) -> str:
        """The messages the page shows for a refused request (Gradio's toasts)."""
        shown = self.driver.execute_script(
            "return [...document.querySelectorAll('.toast-body')].map(t => t.innerText.trim()).filter(Boolean);")
        return " | ".join(t.replace("\n", " ") for t in shown)

    def screenshot(self, path: Path, show: str | None = None) -> Path:
        """The window as it is, or scrolled so that element `show` (an elem_id) is at its top."""
        if show:
            self.driver.execute_script("document.getElementById(arguments[0]).scrollIntoView()", show)
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.driver.save_screenshot(str(path))
        return Path(path)


def first_sound(browser: AppBrowser, seconds: float = 300) -> float:
    """Click Generate and wait until the first sample's audio reaches its player: the seconds it took."""
    before = set(browser.audio_sources("generate-live"))  # an earlier click's stream
    clicked = browser.click("generate-button")
    browser.wait(lambda: set(browser.audio_sources("generate-live")) - before, seconds, "the first audio")
    return time.monotonic() - clicked


PLAYBACK = """const a = document.querySelector('#' + arguments[0] + ' audio');
if (!a) return null;
if (!a._trace) {
  a._trace = {waiting: 0};
  a.addEventListener('waiting', () => { if (a.currentTime > 0) a._trace.waiting++; });
}
if (arguments[1] || a._trace.src !== a.currentSrc) { a._trace.waiting = 0; a._trace.src = a.currentSrc; }
const end = a.buffered.length ? a.buffered.end(a.buffered.length - 1) : 0;
return [a.currentTime, end, a.ended, a._trace.waiting];"""


def playback(browser: AppBrowser, elem_id: str = "generate-live", seconds: float = 120) -> dict:
    """Follow a streaming player from its first sound to its end: how often it ran dry while playing (a
    'waiting' event after it started), and how far the audio it held ran ahead of what it played while more
    was still to come (the smallest lead, in seconds). A lead that stays above zero with no waits is audio heard
    without a gap."""
    trace = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:  # the first poll forgets what the player did before this clip
        state = browser.driver.execute_script(PLAYBACK, elem_id, not trace)
        if state:
            trace.append(state)
            if state[2]:
                break
        time.sleep(0.1)
    whole = trace[-1][1] if trace else 0.0  # once the whole clip has arrived, the lead falls to 0 by itself
    playing = [(t, end) for t, end, ended, _ in trace if 0 < t and end < whole - 1e-3]
    return {"played": trace[-1][0] if trace else 0.0, "ended": bool(trace and trace[-1][2]),
            "waits": int(trace[-1][3]) if trace else 0,
            "least_lead": min((end - t for t, end in playing), default=0.0)}
