"""Walk a signed-in browser through every same-site link, from the home page.

Each link is first asked as a request (its status; a PDF downloads instead of showing a
page), then an HTML page is opened in the browser, where its links are read — and, for the
screenshots command, whatever ``on_page`` wants is done with it. Links found at the last
depth are checked (status) and shown, not followed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

LINKS = """() => [...document.querySelectorAll("a[href]")].map(a => a.getAttribute("href"))"""


@dataclass
class Crawl:
    status: dict[str, int] = field(default_factory=dict)  # path (with its query) → HTTP status
    found_on: dict[str, str] = field(default_factory=dict)  # path → the page that links it

    def broken(self) -> dict[str, int]:
        return {p: s for p, s in self.status.items() if s == 404 or s >= 500}


async def crawl(
    context, page, base_url: str, *, depth: int = 3, on_page: Callable[[str], Awaitable[None]] | None = None
) -> Crawl:
    done = Crawl()
    site = urlsplit(base_url).netloc
    frontier = ["/"]
    for level in range(depth + 1):
        following: list[str] = []
        for path in frontier:
            answer = await context.request.get(base_url + path)
            done.status[path] = answer.status
            if "text/html" not in (answer.headers.get("content-type") or ""):
                continue
            if level == depth and on_page is None:
                continue
            await page.goto(base_url + path)
            if on_page is not None:
                await on_page(path)
            if level == depth:
                continue
            for href in await page.evaluate(LINKS):
                target = urlsplit(urljoin(page.url, href))
                if target.netloc != site:
                    continue  # other sites
                link = target.path + (f"?{target.query}" if target.query else "")
                if link not in done.status and link not in following:
                    following.append(link)
                    done.found_on.setdefault(link, path)
        frontier = [p for p in following if p not in done.status]
    return done
