"""Show cards in the real Anki desktop reviewer (aqt under Xvfb) and read what a learner sees.

`run_reviewer(apkg, folder, steps)` starts Anki in a subprocess under xvfb-run with a fresh
profile, imports the deck and runs the steps in order; it returns each named step's result.
Run as a script (`python anki_desktop.py request.json result.json`) this module is the
driver inside Anki's process; the recipe is in ../shared/docs/real-anki-desktop.md.

A step is a dict:
    find    Anki search for the card to show (the first match), e.g. '"Source:*spoiler*"'
    side    "question" or "answer": which side to draw (waits until it is drawn)
    theme   "light" or "dark": set before drawing, as Preferences does
    width   CSS pixels: resize the main window until the reviewer's page is this wide
            (400 is the narrowest Anki allows)
    switch  "light" or "dark": switch live after drawing (Anki only toggles body classes)
    click   CSS selector: a real mouse click on the element's centre
    keys    text typed with real key presses; key: one named key ("Return", "Tab")
    until   JavaScript condition to wait for (up to `within` seconds, 30 by default); the
            step goes on either way, so that its probe shows what happened instead
    probe   JavaScript expression whose JSON value is the step's result; `style(selector,
            ...properties)` and `rect(selector)` are there to help
    shot    file name of a screenshot of the reviewer, saved in the folder's "shots"
    crop    CSS selector: the shot shows only this element (and a small margin)
    name    the key of the result
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import traceback
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

# Anki starting on a busy 2-core machine can take a minute; a whole session gets this long.
SESSION_TIMEOUT = 420
# One condition (a side drawn, a page loaded) may take this long before the step fails.
CONDITION_TIMEOUT = 90
POLL_MS = 50

HELPERS = """
function style(selector) {
  var el = document.querySelector(selector);
  if (!el) return null;
  var cs = getComputedStyle(el), out = {};
  for (var i = 1; i < arguments.length; i++) out[arguments[i]] = cs.getPropertyValue(arguments[i]);
  return out;
}
function rect(selector) {
  var el = document.querySelector(selector);
  if (!el) return null;
  var r = el.getBoundingClientRect();
  return {x: r.x, y: r.y, width: r.width, height: r.height};
}
"""


class DesktopError(AssertionError):
    """Anki desktop did not run the steps; the message holds its log."""


def desktop_available() -> str | None:
    """Why the desktop tier cannot run here, or None when it can."""
    if shutil.which("xvfb-run") is None:
        return "xvfb-run is missing (python3 dev.py test installs it with apt-get)"
    try:
        import aqt  # noqa: F401
    except ImportError:
        return "aqt is not installed (python3 dev.py test installs the desktop extra)"
    return None


def run_reviewer(apkg: Path, folder: Path, steps: list[dict[str, Any]]) -> dict[str, Any]:
    """Import apkg into a fresh Anki profile under folder, run the steps, return their results."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "shots").mkdir(exist_ok=True)
    request = {"apkg": str(apkg.resolve()), "folder": str(folder.resolve()), "steps": steps}
    (folder / "request.json").write_text(json.dumps(request, indent=1))
    result_path = folder / "result.json"
    log = folder / "anki.log"
    with log.open("w") as out:
        process = start_under_xvfb([__file__, str(folder / "request.json"), str(result_path)], out)
        try:
            process.wait(timeout=SESSION_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait()
    if not result_path.exists():
        raise DesktopError(
            f"Anki desktop wrote no result (exit {process.returncode}):\n"
            + log.read_text(errors="replace")[-4000:]
        )
    result: dict[str, Any] = json.loads(result_path.read_text())
    if "error" in result:
        raise DesktopError(result["error"] + "\n" + log.read_text(errors="replace")[-4000:])
    return result


def start_under_xvfb(script: list[str], log: IO[str]) -> subprocess.Popen[bytes]:
    """`python SCRIPT...` under its own Xvfb, in its own session (process group), so that
    one `os.killpg` stops Anki and Xvfb together."""
    command = ["xvfb-run", "-a", "-s", "-screen 0 1280x1024x24", sys.executable, *script]
    env = {
        **os.environ,
        "QTWEBENGINE_CHROMIUM_FLAGS": "--no-sandbox --disable-gpu",
        "QTWEBENGINE_DISABLE_SANDBOX": "1",
        # A second Anki of the same user would hand its work to the first one.
        "ANKI_SINGLE_INSTANCE_KEY": f"anki-tools-test-{uuid.uuid4().hex}",
        "QT_QPA_PLATFORM": "xcb",
    }
    return subprocess.Popen(
        command, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
    )


def show_notes(
    folder: Path, session: Path, files: dict[str, str | bytes], steps: list[dict[str, Any]]
) -> dict[str, Any]:
    """Write `files` (a path under `folder` → Markdown text, or an image's bytes), build
    them into a deck and run the steps on it in the reviewer; the results, and `shots`:
    where the screenshots are (the session folder, printed for a person to look at)."""
    # Here, not at the top: this file is also the script the Anki process runs.
    from anki_tools import build

    from conftest import FIXED_TIME

    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    apkg = folder.parent / f"{folder.name}.apkg"
    result = build([folder], apkg, timestamp=FIXED_TIME)
    assert not result.errors, result.problems
    print(f"Anki desktop session (log, screenshots): {session}")
    return {**run_reviewer(apkg, session, steps), "shots": session / "shots"}


def typing(name: str, texts: list[str]) -> list[dict[str, Any]]:
    """Steps that type each text into a type-in box from the keyboard, Tab between boxes.

    Each waits until the text has landed (the renderer takes key events on a channel of
    its own), so that the next key goes where a learner's would.
    """
    steps: list[dict[str, Any]] = []
    for index, text in enumerate(texts):
        if index:
            steps.append(
                {
                    "name": f"{name} tab {index}",
                    "key": "Tab",
                    "until": "document.activeElement === "
                    f"document.querySelectorAll('.at-typein-input')[{index}]",
                    "within": 10,
                }
            )
        steps.append(
            {
                "name": f"{name} keys {index}",
                "keys": text,
                "until": f"document.activeElement.value === {json.dumps(text)}",
                "within": 10,
            }
        )
    return steps


# ---- inside Anki's process -------------------------------------------------------------


POLL = object()  # yielded by a step: call me again after POLL_MS


def _drive(request: dict[str, Any], results: dict[str, Any]) -> Iterator[object]:
    """The steps as a generator: it yields JavaScript to evaluate (and gets its value) or POLL."""
    import aqt
    from anki.collection import ImportAnkiPackageOptions, ImportAnkiPackageRequest
    from aqt.qt import QImage, QPoint, QRect, QSize, Qt
    from aqt.theme import Theme
    from PyQt6.QtTest import QTest

    mw = aqt.mw
    assert mw is not None
    # Startup ends in the deck browser; moving to the reviewer before that gets undone.
    while mw.col is None or mw.state != "deckBrowser":
        yield POLL
    _log("profile open")
    mw.resize(1000, 800)
    mw.col.import_anki_package(
        ImportAnkiPackageRequest(
            package_path=request["apkg"], options=ImportAnkiPackageOptions(with_scheduling=True)
        )
    )
    first = mw.col.find_cards("")
    mw.col.decks.select(mw.col.get_card(first[0]).did)
    mw.moveToState("review")
    _log("deck imported, reviewing")
    reviewer = mw.reviewer
    # The reviewer shows the deck's first card by itself; wait for it before taking over.
    yield from _until(DRAWN_JS, "the reviewer's first card")
    themes = {"light": Theme.LIGHT, "dark": Theme.DARK}
    shots = Path(request["folder"]) / "shots"
    for step in request["steps"]:
        _log(f"step {step.get('name', step)}")
        if "theme" in step:
            mw.set_theme(themes[step["theme"]])
        if "width" in step:
            yield from _resize(reviewer.web, step["width"])
        if "find" in step:
            found = mw.col.find_cards(step["find"])
            if not found:
                raise LookupError(f"no card matches {step['find']!r}")
            yield MARK_JS
            reviewer.card = mw.col.get_card(found[0])
            reviewer.card.start_timer()
            reviewer._showQuestion()
            yield from _until(DRAWN_JS, f"the question of {step['find']}")
            if step.get("side") == "answer":
                yield MARK_JS
                reviewer._showAnswer()
                yield from _until(DRAWN_JS, f"the answer of {step['find']}")
        if "switch" in step:
            mw.set_theme(themes[step["switch"]])
            night = "true" if step["switch"] == "dark" else "false"
            yield from _until(
                f"document.body.classList.contains('nightMode') === {night}",
                "the theme switch",
            )
        target = reviewer.web.focusProxy()
        if "click" in step or "keys" in step or "key" in step:
            # Input before the new side is on screen can hit the old frame and be lost.
            yield from _painted()
        if "keys" in step or "key" in step:
            # Keys reach the page only once Qt has given the web view the keyboard.
            reviewer.web.setFocus()
            yield from _until("document.hasFocus()", "the reviewer to have the keyboard")
        if "click" in step:
            box = yield f"{HELPERS} rect({json.dumps(step['click'])})"
            if box is None:
                raise LookupError(f"nothing matches {step['click']!r} to click")
            zoom = reviewer.web.zoomFactor()
            centre = QPoint(
                int((box["x"] + box["width"] / 2) * zoom),
                int((box["y"] + box["height"] / 2) * zoom),
            )
            # Input reaches the page after the call returns: wait until the page has
            # handled the click, or a probe right after it reads the page before (1 run
            # in 10 did).
            yield CLICK_SEEN_JS
            QTest.mouseClick(
                target, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, centre
            )
            yield from _until("window.atClicked === true", f"the click on {step['click']}")
        if "keys" in step:
            QTest.keyClicks(target, step["keys"])
        if "key" in step:
            QTest.keyClick(target, getattr(Qt.Key, f"Key_{step['key']}"))
        if "until" in step:
            deadline = time.monotonic() + step.get("within", 30)
            while not (yield step["until"]) and time.monotonic() < deadline:
                yield POLL
        if "probe" in step:
            # eval inside try: a mistake in the probe fails the step instead of giving null.
            code = json.dumps(f"{HELPERS} ({step['probe']})")
            answer = yield (
                f"(function () {{ try {{ return {{value: eval({code})}}; }} "
                "catch (e) { return {error: String(e)}; } })()"
            )
            answer = answer or {}
            if "value" not in answer:
                raise ValueError(f"probe {step['name']!r} failed: {answer.get('error')}")
            results[step["name"]] = answer["value"]
        if "shot" in step:
            # Layout starts the loads of the fonts the page uses (MathJax's come after
            # typesetting): wait until they are in, then for the frame that shows them.
            yield from _painted()
            yield from _until("document.fonts.status === 'loaded'", "the page's fonts")
            yield from _painted()
            # Qt's default: an invalid size grabs the whole view.
            area = QRect(QPoint(0, 0), QSize(-1, -1))
            if "crop" in step:
                box = yield f"{HELPERS} rect({json.dumps(step['crop'])})"
                if box is None:
                    raise LookupError(f"nothing matches {step['crop']!r} to crop to")
                zoom = reviewer.web.zoomFactor()
                margin = 8
                area = QRect(
                    int(box["x"] * zoom) - margin,
                    int(box["y"] * zoom) - margin,
                    int(box["width"] * zoom) + 2 * margin,
                    int(box["height"] * zoom) + 2 * margin,
                ).intersected(reviewer.web.rect())
            # No alpha, most compression: the pictures end up in docs/images.
            picture = reviewer.web.grab(area).toImage().convertToFormat(QImage.Format.Format_RGB888)
            if not picture.save(str(shots / step["shot"]), "PNG", 0):
                raise OSError(f"could not save the screenshot {step['shot']}")


# Set once the page has handled a click (after the card's own listeners: bubbling, on window).
CLICK_SEEN_JS = (
    "window.atClicked = false; window.addEventListener('click', function () {"
    " window.atClicked = true; }, {once: true})"
)
# Marks the side on screen, so that DRAWN_JS waits for a new one.
MARK_JS = "document.querySelectorAll('.at-card').forEach(function (c) { c.dataset.atOld = 1; })"
# A side is drawn when a fresh card exists and Anki's fade-in of #qa has finished.
PAINT_JS = (
    "window.atPainted = false; (function wait(n) { requestAnimationFrame(function () {"
    " if (n) wait(n - 1); else window.atPainted = true; }); })(3)"
)
PAGE_JS = (
    "JSON.stringify({url: location.href, body: document.body ? document.body.className : null,"
    " qa: (document.getElementById('qa') || {}).outerHTML})"
)
DRAWN_JS = (
    "!!document.querySelector('.at-card:not([data-at-old])') && "
    "getComputedStyle(document.getElementById('qa')).opacity === '1'"
)


def _log(line: str) -> None:
    """Progress into the log (Anki replaces sys.stderr with its error dialog)."""
    print(f"anki_desktop: {line}", file=sys.__stderr__, flush=True)


def _painted() -> Iterator[object]:
    """A few animation frames after the last change, so that it is on screen."""
    yield PAINT_JS
    yield from _until("window.atPainted === true", "the page to paint")


def _resize(web: Any, width: int) -> Iterator[object]:
    """Resize the main window so that the reviewer's page is `width` CSS pixels wide."""
    import aqt

    window = aqt.mw
    assert window is not None
    wanted = round(width * web.zoomFactor())
    # The web view takes what the window's frame and layout leave; one resize gets there,
    # but the page learns its new width only after Qt's layout and Chromium's resize.
    window.resize(window.width() - web.width() + wanted, window.height())
    yield from _until(f"window.innerWidth === {width}", f"the page to be {width} px wide")


def _until(condition: str, what: str) -> Iterator[object]:
    """Poll the condition in the reviewer until it holds; fail with what the page shows."""
    import aqt

    deadline = time.monotonic() + CONDITION_TIMEOUT
    while not (yield condition):
        if time.monotonic() > deadline:
            page = yield PAGE_JS
            state = aqt.mw.state if aqt.mw else None
            raise TimeoutError(f"waited {CONDITION_TIMEOUT} s for {what} in {state}: {page}")
        yield POLL


def start_app(base: Path) -> Any:
    """Anki's application on the base folder, not yet running its event loop: with a
    fresh base it makes and opens the profile "User 1" by itself."""
    base.mkdir(parents=True, exist_ok=True)
    (base / "gldriver6").write_text("software")  # no OpenGL question on start

    import aqt
    import aqt.profiles

    aqt.AnkiApp.KEY = os.environ["ANKI_SINGLE_INSTANCE_KEY"]
    # The first start asks for a language; answer it.
    aqt.profiles.ProfileManager.setDefaultLang = lambda self, idx: self.setLang("en_US")  # type: ignore[method-assign]
    app = aqt._run(argv=["anki", "-b", str(base)], exec=False)
    _log("Anki started")
    return app


def _main(request_path: str, result_path: str) -> None:
    request = json.loads(Path(request_path).read_text())
    app = start_app(Path(request["folder"]) / "anki-base")

    import aqt
    from aqt.qt import QTimer

    results: dict[str, Any] = {}

    def finish(error: str | None) -> None:
        out = {"error": error} if error else results
        Path(result_path).write_text(json.dumps(out, indent=1))
        os._exit(0)  # Anki's own shutdown would ask to sync and back up

    steps = _drive(request, results)

    def advance(value: object = None) -> None:
        try:
            wanted = steps.send(value)
        except StopIteration:
            finish(None)
            return
        except Exception:
            finish(traceback.format_exc())
            return
        try:
            if wanted is POLL:
                QTimer.singleShot(POLL_MS, advance)
            else:
                assert aqt.mw is not None
                aqt.mw.reviewer.web.evalWithCallback(str(wanted), advance)
        except Exception:
            # Anki's own error handler would show a dialog nobody closes: end instead.
            finish(traceback.format_exc())

    QTimer.singleShot(0, advance)
    # Before the parent's own timeout, so that the result says which step was stuck.
    QTimer.singleShot((SESSION_TIMEOUT - 30) * 1000, lambda: finish("the session timed out"))
    app.exec()  # type: ignore[union-attr]


if __name__ == "__main__":
    _main(sys.argv[1], sys.argv[2])
