"""The browser suite: Debian's Chromium driven headless by Playwright against the
console served by pytest-django's live server on the test database, the CRMs being
the project's emulators. Every step leaves a screenshot under test-artefacts/browser/."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings

from tests.fixtures.services import in_ci

CHROMIUM = os.environ.get("CRMSYNC_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
ARTEFACTS = Path(settings.BASE_DIR) / "test-artefacts" / "browser"
WIDE = {"width": 1280, "height": 800}
NARROW = {"width": 390, "height": 844}
PASSWORD = "browser-pw-for-tests-only-1"

pytestmark = pytest.mark.browser
shots: list[Path] = []


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def pytest_terminal_summary(terminalreporter):
    if shots:
        terminalreporter.write_line(f"browser screenshots ({len(shots)}): {ARTEFACTS}")


@pytest.fixture(scope="module")
def chromium():
    if not Path(CHROMIUM).exists():
        message = (f"Chromium is not installed at {CHROMIUM}: `apt-get install -y chromium` "
                   "(.ci/run installs it in CI)")
        (pytest.fail if in_ci() else pytest.skip)(message)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop on this thread; the ORM calls the
    # tests make here are still plain synchronous ones. Only while the browser lives.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def admin_user(django_user_model):
    return django_user_model.objects.create_superuser("browser-admin", "b@example.invalid", PASSWORD)


@pytest.fixture
def page(request, chromium, live_server, transactional_db):
    """A fresh 1280×800 tab on the live console; a console error fails the test,
    and a failed test leaves a screenshot of where it stood."""
    context = chromium.new_context(base_url=live_server.url, viewport=WIDE, accept_downloads=True)
    context.set_default_timeout(float(os.environ.get("CRMSYNC_BROWSER_TIMEOUT", "15000")))
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    yield tab
    if getattr(request.node, "report_call", None) is not None and request.node.report_call.failed:
        screenshot(tab, "failed")
    context.close()
    assert not errors, f"JavaScript errors on the console: {errors}"


def log_in(tab, user, shoot: bool = False) -> None:
    tab.goto("/admin/login/")
    tab.get_by_label("Username").fill(user.username)
    tab.get_by_label("Password").fill(PASSWORD)
    if shoot:
        screenshot(tab, "login")
    tab.get_by_role("button", name="Log in").click()
    tab.wait_for_url("**/admin/")


@pytest.fixture
def console(page, admin_user):
    log_in(page, admin_user)
    return page


def screenshot(tab, name: str) -> Path:
    """Saves the whole page as test-artefacts/browser/<test>-<NN>-<name>.png and prints the path."""
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    module = os.environ.get("PYTEST_CURRENT_TEST", "test_browser").split("::")[0]
    test = Path(module).stem.removeprefix("test_")
    path = ARTEFACTS / f"{test}-{len([s for s in shots if s.name.startswith(test)]) + 1:02d}-{name}.png"
    tab.screenshot(path=str(path), full_page=True)
    shots.append(path)
    print(f"screenshot: {path}")
    return path


def horizontal_overflow(tab) -> int:
    """How many CSS pixels the page is wider than the window (0: no sideways scroll)."""
    return tab.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
