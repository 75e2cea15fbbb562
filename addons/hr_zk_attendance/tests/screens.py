"""Screenshots of real screens, taken in the same headless Chromium as the tours.

Nothing happens unless `ZK_SCREENSHOTS` names a folder: then `save_screens` opens each URL as
the given user, waits until the page shows what `ready` (a CSS selector) names, and writes a
PNG there. Used to look at the screens as a person would, and for `static/description`.

    ZK_SCREENSHOTS=/tmp/shots ./run-tests --odoo-only --addons hr_zk_attendance \
        --test-tags /hr_zk_attendance:TestAdminJourney
"""

import base64
import json
import os
import time
from pathlib import Path

from werkzeug.urls import url_join

from odoo.tests.common import ChromeBrowser

WIDTH, HEIGHT = 1440, 900


def screenshot_dir():
    folder = os.environ.get("ZK_SCREENSHOTS")
    return Path(folder) if folder else None


def save_screens(case, login, screens, password=None, settle=0.6, size=None):
    """screens: [(url_path, ready_selector, file_name[, scroll_to[, click]])]. Returns the
    files written. `click` (a CSS selector) is clicked first, e.g. a form's tab; `scroll_to`
    is then scrolled into view (a setting far down a long page).

    `case` is a running HttpCase; `login` logs in with `password` (default: the login, as
    Odoo's own tests do). A screen that never gets ready is written anyway (named *.failed.png)
    so the person looking sees why. `size`: (width, height) of the window, e.g. a phone's.
    """
    target = screenshot_dir()
    if target is None:
        return []
    target.mkdir(parents=True, exist_ok=True)
    case.cr.flush()
    case.cr.clear()
    browser = ChromeBrowser(case, headless=True)
    written = []
    try:
        case.authenticate(login, password or login, browser=browser)
        browser._websocket_request("Emulation.setDeviceMetricsOverride", params={
            "width": (size or (WIDTH, HEIGHT))[0], "height": (size or (WIDTH, HEIGHT))[1],
            "deviceScaleFactor": 1, "mobile": bool(size)})
        for url_path, ready, name, *extra in screens:
            scroll_to, click = (list(extra) + [None, None])[:2]
            browser.navigate_to(url_join(case.base_url(), url_path), wait_stop=True)
            ok = browser._wait_ready(
                f"!!document.querySelector({json.dumps(ready)}) && "
                "!document.querySelector('.o_loading_indicator, "
                ".o-main-components-container .o_loading')",
                timeout=30)
            for selector, script in ((click, "click()"),
                                     (scroll_to, "scrollIntoView({block: 'center'})")):
                if selector:
                    browser._websocket_request("Runtime.evaluate", params={
                        "expression": f"document.querySelector({json.dumps(selector)})"
                                      f"?.{script}"})
                    time.sleep(settle)
            time.sleep(settle)  # let animations (notifications, dialogs) finish
            shot = browser._websocket_request("Page.captureScreenshot", params={"format": "png"},
                                              timeout=20)
            path = target / (name if ok else name.replace(".png", ".failed.png"))
            path.write_bytes(base64.b64decode(shot["data"]))
            written.append(path)
    finally:
        browser.stop()
        case._wait_remaining_requests()
    return written
