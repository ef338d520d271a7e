"""Drive course explorers in a real page: find them, move their controls, compare the images.

An explorer renders as an ipywidgets box holding its controls and one ``img.widget-image`` (the
view, redrawn by the kernel on every change). Moving a control must change that image.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Browser, BrowserContext, Locator, Page

TEXT_FALLBACK = re.compile(r"^\s*(VBox|HBox|Box|IntSlider|Dropdown|Image)\(")
SLIDERS = ".widget-slider .noUi-handle"
DROPDOWNS = ".widget-dropdown select"
OPTION_WAIT_S = 8.0  # how long one dropdown option may take to redraw before the next is tried


LOCAL = ("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:", "about:")


class PageLog:
    """Console errors, uncaught page errors and requests that left the machine."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.external: list[str] = []

    def problems(self) -> list[str]:
        return [f"console error: {e}" for e in self.errors] + [
            f"request to another host: {u}" for u in self.external
        ]


@dataclass
class Run:
    """A page of its own (own browser context) that loads or runs something in the background."""

    name: str
    context: BrowserContext
    page: Page
    log: PageLog
    started: float = field(default_factory=time.monotonic)
    seconds: float = 0.0
    finished: bool = False

    def close(self) -> None:
        self.context.close()

    @contextmanager
    def screenshot_on_failure(self, path: Path) -> Iterator[None]:
        """What the page showed when an assertion failed, as ``path``."""
        try:
            yield
        except BaseException:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=str(path), full_page=True)
            raise


def new_run(browser: Browser, name: str) -> Run:
    """A fresh context and page that logs console errors and requests to other hosts."""
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    log = PageLog()
    page = context.new_page()
    page.on("console", lambda m: log.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda err: log.errors.append(f"uncaught: {err}"))
    page.on("request", lambda r: None if r.url.startswith(LOCAL) else log.external.append(r.url))
    return Run(name, context, page, log)


def run_pages(
    browser: Browser,
    starters: list[tuple[str, Callable[[Page], object]]],
    *,
    done: Callable[[Page], bool],
    timeouts: dict[str, float],
    parallel: int = 2,
    poll_s: float = 0.5,
) -> dict[str, Run]:
    """Start each ``(name, start)`` in a page of its own, at most ``parallel`` unfinished at a
    time, in the given order; a page is finished when ``done(page)`` is true, and given up
    (``finished`` stays false) after ``timeouts[name]`` seconds. Returns every run by name."""
    if parallel < 1:
        raise ValueError(f"parallel={parallel} must be >= 1")
    queue, active, runs = list(starters), [], {}
    while queue or active:
        while queue and len(active) < parallel:
            name, start = queue.pop(0)
            run = runs[name] = new_run(browser, name)
            start(run.page)
            active.append(run)
        time.sleep(poll_s)
        for run in list(active):
            elapsed = time.monotonic() - run.started
            if done(run.page) or elapsed > timeouts[run.name]:
                run.finished, run.seconds = elapsed <= timeouts[run.name], elapsed
                active.remove(run)
    return runs


@dataclass(frozen=True)
class Move:
    """One control moved: its label, the value before and after, and the two screenshots."""

    control: str
    before: str
    after: str
    shots: tuple[Path, Path]


def text_fallbacks(page: Page) -> list[str]:
    """Outputs shown as a widget's text repr (``VBox(children=…)``) instead of the widget."""
    texts = page.locator(".jp-OutputArea-output, .jp-RenderedText").all_inner_texts()
    return [t[:80] for t in texts if TEXT_FALLBACK.match(t)]


def _label(control: Locator, kind: str, index: int) -> str:
    box = control.locator("xpath=ancestor::div[contains(@class,'widget-inline-hbox')][1]")
    text = box.locator(".widget-label").first.inner_text() if box.count() else ""
    return re.sub(r"\W+", "-", text.strip()).strip("-").lower() or f"{kind}{index}"


def _readout(handle: Locator) -> str:
    """The value a slider shows (its readout; the handle's aria value is rounded)."""
    box = handle.locator("xpath=ancestor::div[contains(@class,'widget-slider')][1]")
    readout = box.locator(".widget-readout")
    return readout.first.inner_text().strip() if readout.count() else ""


def _readout_changes(handle: Locator, before: str, timeout_s: float = 3.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if _readout(handle) != before:
            return True
        time.sleep(0.1)
    return False


def _wait_for_new_image(image: Locator, old_src: str, what: str, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if image.get_attribute("src") != old_src:
            return
        time.sleep(0.2)
    raise AssertionError(f"moving {what} did not redraw the view within {timeout_s:.0f} s")


def _shot(image: Locator, path: Path) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    image.scroll_into_view_if_needed()
    return image.screenshot(path=str(path))


def _move_slider(handle: Locator, page: Page, name: str) -> tuple[str, str]:
    """One step right (left when at the maximum); returns the readout before and after."""
    before = _readout(handle)
    handle.focus()
    page.keyboard.press("ArrowRight")
    if not _readout_changes(handle, before):  # already at its maximum
        page.keyboard.press("ArrowLeft")
        _readout_changes(handle, before)
    after = _readout(handle)
    assert after != before, f"slider {name} did not move from {before}"
    return before, after


def _move_dropdown(
    select: Locator, image: Locator, old_src: str, name: str, timeout_s: float
) -> tuple[str, str]:
    """Choose the other options in turn until the image changes (some options draw the same
    view in some states, e.g. an "auto" that means "span" here); returns the values."""
    values = select.locator("option").evaluate_all("options => options.map(o => o.value)")
    before = select.input_value()
    others = values[values.index(before) + 1 :] + values[: values.index(before)]
    assert others, f"dropdown {name} has a single option"
    for n, target in enumerate(others):
        select.select_option(target)
        last = n == len(others) - 1
        try:
            _wait_for_new_image(
                image, old_src, f"dropdown {name}", timeout_s if last else OPTION_WAIT_S
            )
            return before, target
        except AssertionError:
            if last:
                raise
    raise AssertionError("unreachable")


def move_controls(
    root: Locator,
    page: Page,
    prefix: str,
    shots_dir: Path,
    *,
    limit: int | None = None,
    timeout_s: float = 60.0,
) -> list[Move]:
    """Move the sliders (one step each), then the dropdowns (to another option) of the explorer
    under ``root`` — the first ``limit`` of them, or all; after each move, assert that the
    explorer's image changed (its source and its pixels). Screenshots before and after each move
    go to ``shots_dir`` as ``<prefix>-<control>-before.png`` / ``-after.png``."""
    image = root.locator("img.widget-image").first
    image.wait_for(timeout=timeout_s * 1000)
    sliders, selects = root.locator(SLIDERS), root.locator(DROPDOWNS)
    controls = [("slider", sliders.nth(i)) for i in range(sliders.count())]
    controls += [("dropdown", selects.nth(i)) for i in range(selects.count())]
    controls = [
        (kind, c) for kind, c in controls if kind == "slider" or c.locator("option").count() > 1
    ]
    assert controls, f"{prefix}: the explorer has no slider or dropdown to move"
    moves: list[Move] = []
    for i, (kind, control) in enumerate(controls[:limit]):
        name = _label(control, kind, i)
        shots = (
            shots_dir / f"{prefix}-{name}-before.png",
            shots_dir / f"{prefix}-{name}-after.png",
        )
        old_src, old_pixels = image.get_attribute("src") or "", _shot(image, shots[0])
        if kind == "slider":
            before, after = _move_slider(control, page, name)
            _wait_for_new_image(image, old_src, f"slider {name}", timeout_s)
        else:
            before, after = _move_dropdown(control, image, old_src, name, timeout_s)
        time.sleep(0.5)  # let the new image decode
        assert _shot(image, shots[1]) != old_pixels, f"{kind} {name}: the image did not change"
        moves.append(Move(name, before, after, shots))
    return moves
