"""What every browser test checks besides its own assertions, on every page it shows:

- no Content-Security-Policy violation: the browser's `securitypolicyviolation` events
  and its console messages about the policy;
- no serious or critical accessibility violation, by axe-core (bundled with
  axe-playwright-python and added to every page by Playwright; nothing is downloaded).

A page is audited in the state the user acts on: a locator handler on the whole document
runs before every action and every auto-waiting assertion of the test, in the test's own
flow, so a page cannot be left mid-audit. An unchanged page is not audited again. What
the test shows last is audited when it ends.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from axe_playwright_python.base import AXE_SCRIPT
from playwright.sync_api import BrowserContext, ConsoleMessage, Error, Page

FAILING_IMPACTS = frozenset({"serious", "critical"})

# Runs in every document before its own scripts.
WATCH_SCRIPT = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.reportCspViolation({
    directive: event.effectiveDirective,
    blocked: event.blockedURI,
    sample: event.sample,
    source: event.sourceFile + ":" + event.lineNumber,
    page: document.location.href,
  });
});
"""

# Waits (up to 5 s) until htmx has no request in flight and has settled, and the CSS
# transitions have run (a region fading during a request, an alert fading in), so that
# axe sees the colours the user sees. Then returns a fingerprint of what the user sees.
SETTLE_SCRIPT = """
async () => {
  const busy = ".htmx-request, .htmx-swapping, .htmx-settling, .htmx-added";
  const deadline = Date.now() + 5000;
  const pause = () => new Promise((resolve) => setTimeout(resolve, 50));
  while (Date.now() < deadline) {
    const transitions = document.getAnimations().filter((a) => a instanceof CSSTransition);
    if (!document.querySelector(busy) && transitions.length === 0) {
      break;
    }
    await pause();
  }
  const text = document.location.href + document.documentElement.outerHTML;
  let hash = 0;
  for (let i = 0; i < text.length; i++) {
    hash = (Math.imul(hash, 31) + text.charCodeAt(i)) | 0;
  }
  return text.length + ":" + hash;
}
"""

AXE_RUN_SCRIPT = """
async () => {
  const results = await axe.run(document, {resultTypes: ["violations"]});
  return results.violations.map((violation) => ({
    id: violation.id,
    impact: violation.impact,
    help: violation.help,
    targets: violation.nodes.map((node) => node.target.join(" ")),
  }));
}
"""


@dataclass
class PageAudits:
    csp_violations: list[str] = field(default_factory=list)
    accessibility_violations: list[str] = field(default_factory=list)
    audits: int = 0
    _fingerprints: set[str] = field(default_factory=set)

    def attach(self, context: BrowserContext) -> None:
        """Watch every page the context opens; call before it opens any."""
        context.expose_function("reportCspViolation", self._record_csp_violation)
        context.add_init_script(WATCH_SCRIPT)
        # As an init script axe is compiled once and cached, not parsed on every audit.
        context.add_init_script(AXE_SCRIPT)
        context.on("console", self._record_console_message)
        context.on("page", self._audit_before_each_step)

    def audit(self, page: Page) -> None:
        """Run axe on the page as it stands, unless it was audited in this state."""
        if page.is_closed() or not page.url.startswith("http"):
            return
        fingerprint = page.evaluate(SETTLE_SCRIPT)
        if fingerprint in self._fingerprints:
            return
        if not page.evaluate("() => typeof axe !== 'undefined'"):
            page.evaluate(AXE_SCRIPT)
        violations = page.evaluate(AXE_RUN_SCRIPT)
        self._fingerprints.add(fingerprint)
        self.audits += 1
        for violation in violations:
            finding = (
                f"{page.url}: {violation['id']} ({violation['impact']}): {violation['help']}, "
                f"at {', '.join(violation['targets'])}"
            )
            if (
                violation["impact"] in FAILING_IMPACTS
                and finding not in self.accessibility_violations
            ):
                self.accessibility_violations.append(finding)

    def audit_open_pages(self, context: BrowserContext) -> None:
        for page in context.pages:
            self._audit_unless_gone(page)

    def failures(self) -> str:
        lines = []
        if self.csp_violations:
            lines += ["Content-Security-Policy violations:", *self.csp_violations]
        if self.accessibility_violations:
            lines += ["Serious or critical accessibility violations (axe-core):"]
            lines += self.accessibility_violations
        return "\n".join(lines)

    def clear(self) -> None:
        self.csp_violations.clear()
        self.accessibility_violations.clear()

    def _audit_before_each_step(self, page: Page) -> None:
        # The document element is always visible, so the handler runs before every step.
        page.add_locator_handler(
            page.locator(":root"), lambda: self._audit_unless_gone(page), no_wait_after=True
        )

    def _audit_unless_gone(self, page: Page) -> None:
        try:
            self.audit(page)
        except Error as error:
            # The page navigated away or closed under the audit: the next step audits
            # whatever came instead.
            message = str(error)
            if "destroyed" not in message and "closed" not in message:
                raise

    def _record_csp_violation(self, violation: dict) -> None:
        self.csp_violations.append(
            f"{violation['page']}: {violation['directive']} blocked {violation['blocked']!r} "
            f"(sample {violation['sample']!r}, at {violation['source']})"
        )

    def _record_console_message(self, message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            page_url = message.page.url if message.page else "?"
            self.csp_violations.append(f"{page_url}: {message.text}")
