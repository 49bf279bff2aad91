"""The review page of `agentctl serve` in a real browser (SPEC 12, issue 16).

Headless Chromium from Debian's `chromium` package, driven by Playwright for Python (its own
browser download is not used). The real binary serves a temporary workspace; the test opens
`/`, sees an agent's differences side by side, publishes with a message, sees it in the
history, previews the revert of an older entry, reverts, and checks the staging file changed.
A screenshot of the review page is saved for CI (target/review-page.png by default).

    python3 tests/browser/review_page.py --agentctl target/debug/agentctl \
        [--chromium /usr/bin/chromium] [--screenshot target/review-page.png]

Exit 0 when every step passed; any failure raises with what the page showed.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
AUTHOR = "Dana Reviewer <dana@example.com>"
# As the machine's probe starts it: no sandbox (root in CI), and nothing that reaches out to
# the network, which is closed here.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def run(agentctl, workspace, env, *args):
    done = subprocess.run(
        [agentctl, *args], cwd=workspace, env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise AssertionError(
            f"agentctl {' '.join(args)} exited {done.returncode}:\n{done.stdout}{done.stderr}"
        )
    return done.stdout


def edit(path, old, new):
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


class Server:
    """`agentctl serve --listen 127.0.0.1:0` in the workspace, reading its address."""

    def __init__(self, agentctl, workspace, env):
        self.process = subprocess.Popen(
            [agentctl, "serve", "--listen", "127.0.0.1:0"],
            cwd=workspace,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        seen = []
        for line in self.process.stderr:
            match = re.match(r"Listening on (http://\S+)", line)
            if match:
                self.base = match.group(1)
                break
            seen.append(line)
        else:
            raise AssertionError("agentctl serve stopped before listening:\n" + "".join(seen))
        # Keep draining stderr so the server never blocks on a full pipe.
        threading.Thread(target=lambda: [None for _ in self.process.stderr], daemon=True).start()

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def workspace_with_history(agentctl, tmp, env):
    """Three example agents; support-bot published twice and edited since."""
    workspace = tmp / "ws"
    workspace.mkdir()
    run(agentctl, workspace, env, "init")
    for example in (ROOT / "examples/agents").glob("*.yaml"):
        shutil.copy(example, workspace / "agents" / example.name)
    run(agentctl, workspace, env, "publish", "-m", "First version of every agent")
    bot = workspace / "agents/support-bot.yaml"
    edit(bot, "temperature: 0.2", "temperature: 0.4")
    run(agentctl, workspace, env, "publish", "support-bot", "-m", "Warmer answers")
    # Staging now differs from production in settings and in the instructions' words.
    edit(bot, "max_tokens: 1024", "max_tokens: 1536")
    edit(bot, "so be accurate and never guess", "so be accurate, cite the help centre and never guess")
    return workspace, bot


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agentctl", default=str(ROOT / "target/debug/agentctl"))
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--screenshot", default=str(ROOT / "target/review-page.png"))
    args = parser.parse_args()
    agentctl = str(Path(args.agentctl).resolve())

    with tempfile.TemporaryDirectory(prefix="agentctl-browser-") as tmp:
        tmp = Path(tmp)
        (tmp / "home/.config").mkdir(parents=True)
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(tmp / "home"),
            "XDG_CONFIG_HOME": str(tmp / "home/.config"),
            "AGENTCTL_AUTHOR": AUTHOR,
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": "/dev/null",
        }
        workspace, bot = workspace_with_history(agentctl, tmp, env)
        server = Server(agentctl, workspace, env)
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=args.chromium,
                    headless=True,
                    args=CHROMIUM_ARGS,
                )
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                review(page, server.base, bot, args.screenshot)
                browser.close()
        finally:
            server.stop()
    print("review page: every step passed; screenshot at", args.screenshot)


def review(page, base, bot, screenshot):
    # The agents and their states.
    page.goto(base + "/")
    row = page.locator("table.agents tr", has_text="support-bot")
    expect(row.locator(".state")).to_have_text("modified")
    expect(page.locator("table.agents tr", has_text="research-assistant").locator(".state")).to_have_text("clean")

    # Production beside Staging, only differences, the changed words marked.
    row.get_by_role("link", name="support-bot").click()
    expect(page).to_have_url(base + "/agents/support-bot")
    expect(page.locator("h1")).to_have_text("support-bot")
    settings = page.locator("section.changes", has_text="Agent settings")
    max_tokens = settings.locator(".change", has_text="model.max_tokens")
    expect(max_tokens.locator(".cell.old")).to_have_text("1024")
    expect(max_tokens.locator(".cell.new")).to_have_text("1536")
    # The two cells sit beside each other, not one above the other.
    old_box = max_tokens.locator(".cell.old").bounding_box()
    new_box = max_tokens.locator(".cell.new").bounding_box()
    assert new_box["x"] > old_box["x"] + old_box["width"] - 1, (old_box, new_box)
    assert abs(new_box["y"] - old_box["y"]) < 2, (old_box, new_box)
    instructions = page.locator("section.changes", has_text="Instructions")
    expect(instructions.locator("ins").first).to_contain_text("cite")
    expect(page.locator("section.changes", has_text="model.temperature")).to_have_count(0)
    page.screenshot(path=screenshot, full_page=False)

    # Publish with a message; POST-redirect-GET lands back on the page.
    page.get_by_label("Message").fill("Longer answers that cite the help centre")
    page.get_by_role("button", name="Publish").click()
    expect(page).to_have_url(base + "/agents/support-bot?published=v3")
    expect(page.locator(".notice")).to_have_text("Published v3.")
    newest = page.locator("ol.history li").first
    expect(newest.locator(".version")).to_have_text("v3")
    expect(newest.locator(".message")).to_have_text("Longer answers that cite the help centre")
    expect(newest.locator(".who")).to_have_text(AUTHOR)
    expect(page.get_by_text("Staging is the same as Production")).to_be_visible()

    # Preview the revert of an older entry (v2: the warmer temperature), then revert.
    v2 = page.locator("ol.history li", has=page.locator(".version", has_text=re.compile(r"^v2$")))
    v2.get_by_role("link", name="Preview revert").click()
    expect(page.locator("h1")).to_contain_text("Revert v2 of")
    change = page.locator(".change", has_text="model.temperature")
    expect(change.locator(".cell.old")).to_have_text("0.4")
    expect(change.locator(".cell.new")).to_have_text("0.2")
    expect(page.locator("section.conflicts")).to_have_count(0)
    assert "temperature: 0.4" in bot.read_text(), "the preview wrote to the file"
    page.get_by_role("button", name="Revert v2 in staging").click()
    expect(page).to_have_url(base + "/agents/support-bot?reverted=v2")
    expect(page.locator(".notice")).to_contain_text("Reverted v2 in staging")
    # Staging changed (the file), production did not (the page's diff shows the revert).
    text = bot.read_text()
    assert "temperature: 0.2" in text and "max_tokens: 1536" in text, text
    temperature = page.locator(".change", has_text="model.temperature")
    expect(temperature.locator(".cell.old")).to_have_text("0.4")
    expect(temperature.locator(".cell.new")).to_have_text("0.2")


if __name__ == "__main__":
    sys.exit(main())
