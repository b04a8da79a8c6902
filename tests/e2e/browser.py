"""A real headless Chromium for the dashboard's tests, driven through Selenium.

Debian's python3-selenium lives in /usr/bin/python3, which need not be the Python running the
tests, so the browser runs in a child process (this file, run as a script) that takes one JSON
command a line on stdin and answers one JSON line on stdout. The test side is `Browser`:

    with Browser() as b:
        b.get(url); b.type("#token", token); b.click("button[type=submit]")
        b.wait_text("#who", "oncall")

Every wait polls the live page (no page reloads), so a test sees what a user would see.
"""
import json
import os
import shutil
import subprocess
import sys
import time

from notify_servers import find_python_with

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


def browser_python():
    """A Python with selenium, when Chromium and its driver are installed too; else None."""
    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        return None
    return find_python_with("selenium", "EP_SELENIUM_PYTHON")


class BrowserError(AssertionError):
    pass


class Browser:
    """The test side: each method is one command to the child, which raises BrowserError on a
    failed wait or a missing element."""

    def __init__(self, width=1280, height=900):
        self.proc = subprocess.Popen(
            [browser_python(), os.path.abspath(__file__), str(width), str(height)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self._call("ready")

    def _call(self, op, **args):
        self.proc.stdin.write(json.dumps({"op": op, **args}) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise BrowserError(f"the browser process ended during {op}")
        answer = json.loads(line)
        if "error" in answer:
            raise BrowserError(f"{op} {args}: {answer['error']}")
        return answer.get("value")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        if self.proc.poll() is None:
            try:
                self._call("quit")
            except (BrowserError, OSError, ValueError):
                pass
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def get(self, url):
        return self._call("get", url=url)

    def resize(self, width, height):
        return self._call("resize", width=width, height=height)

    def type(self, css, text):
        return self._call("type", css=css, text=text)

    def click(self, css, timeout=20):
        return self._call("click", css=css, timeout=timeout)

    def select(self, css, value):
        return self._call("select", css=css, value=value)

    def text(self, css):
        return self._call("text", css=css)

    def texts(self, css):
        """The text of every element matching css (maybe none)."""
        return self._call("texts", css=css)

    def count(self, css):
        return self._call("count", css=css)

    def wait_text(self, css, text, timeout=20):
        """Waits until an element matching css contains text; returns its whole text."""
        return self._call("wait_text", css=css, text=text, timeout=timeout)

    def wait_count(self, css, at_least=1, timeout=20):
        return self._call("wait_count", css=css, at_least=at_least, timeout=timeout)

    def script(self, js):
        return self._call("script", js=js)

    def screenshot(self, path):
        return self._call("screenshot", path=path)


def _serve(width, height):
    """The child: a Chromium session answering commands until `quit` or end of input."""
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    options = Options()
    options.binary_location = CHROMIUM
    # --no-sandbox: tests may run as root, where Chromium's sandbox refuses to start.
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--disable-extensions", f"--window-size={width},{height}"):
        options.add_argument(a)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)

    def find(css):
        return driver.find_element(By.CSS_SELECTOR, css)

    def wait(cond, timeout, what):
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            try:
                value = cond()
                if value is not None:
                    return value
            except Exception as e:  # a stale element while the page redraws: try again
                last = e
            time.sleep(0.1)
        page = driver.execute_script("return document.body.innerText")
        raise TimeoutError(f"{what} not seen in {timeout} s"
                           + (f" (last: {str(last).splitlines()[0]})" if last else "")
                           + f"; the page says: {page[:1500]!r}")

    # Texts are read in one script run, so a view redrawn between two reads (every 2 s) never
    # leaves a stale element in hand.
    def texts(css):
        return driver.execute_script(
            "return [...document.querySelectorAll(arguments[0])].map(e => e.innerText)", css)

    def wait_text(css, text, timeout):
        return wait(lambda: next((t for t in texts(css) if text in t), None), timeout,
                    f"{text!r} in {css}")

    def click(css, timeout):
        def clicked():
            e = find(css)
            if not (e.is_displayed() and e.is_enabled()):
                return None
            e.click()
            return True
        return wait(clicked, timeout, f"a clickable {css}")

    def wait_count(css, at_least, timeout):
        def enough():
            n = len(driver.find_elements(By.CSS_SELECTOR, css))
            return n if n >= at_least else None
        return wait(enough, timeout, f"{at_least} of {css}")

    ops = {
        "ready": lambda: True,
        "get": lambda url: driver.get(url),
        "resize": lambda width, height: driver.set_window_size(width, height),
        "type": lambda css, text: (find(css).clear(), find(css).send_keys(text)) and None,
        "click": click,
        "select": lambda css, value: Select(find(css)).select_by_value(value),
        "text": lambda css: find(css).text,
        "texts": texts,
        "count": lambda css: len(driver.find_elements(By.CSS_SELECTOR, css)),
        "wait_text": wait_text,
        "wait_count": wait_count,
        "script": lambda js: driver.execute_script(js),
        "screenshot": lambda path: driver.save_screenshot(path),
    }
    try:
        for line in sys.stdin:
            command = json.loads(line)
            op = command.pop("op")
            if op == "quit":
                print(json.dumps({"value": True}), flush=True)
                break
            try:
                print(json.dumps({"value": ops[op](**command)}), flush=True)
            except Exception as e:
                print(json.dumps({"error": f"{type(e).__name__}: {e}"}), flush=True)
    finally:
        driver.quit()


if __name__ == "__main__":
    _serve(int(sys.argv[1]), int(sys.argv[2]))
