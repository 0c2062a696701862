"""The demo app's HTML: its pages, filled from templates with every value escaped.

The markup lives in ``templates/*.html`` and the page's style and behaviour in
``static/demo.css``, ``static/demo.js`` and (the receiver page's) ``static/receiver.js``,
package data read with :mod:`importlib.resources`, so that each can be read and edited as what
it is. This module fills the templates' ``$placeholders`` (:class:`string.Template`, which never
evaluates what it inserts) with values escaped by :func:`html.escape`, and writes the rows of
tables. It only renders: it reads no request and sets no cookie (:mod:`cfcookies.demo.app`
does).

The style and the scripts are inlined into each page, so the app has no static route of its
own; the one script it does not inline is hls.js, when the demo was given it
(:mod:`cfcookies.demo.player`).
"""

from __future__ import annotations

import html
import json
import string
from collections.abc import Mapping, Sequence
from functools import cache
from importlib import resources

from ..clock import utc_text
from ..exceptions import PlaylistLinkError
from ..session import CloudFrontCookies
from ..signing import COOKIE_KEY_PAIR_ID, COOKIE_POLICY, COOKIE_SIGNATURE
from ..state import State
from .catalog import DemoCourse, DemoInfo, DemoUser
from .copies import Copied, Replayed
from .csrf import Csrf
from .media import segment_name
from .player import HLS_JS_PATH, RECEIVER_PATH, CookielessPlayer

_PACKAGE = "cfcookies.demo"


@cache
def static(name: str) -> str:
    """The text of ``static/<name>``, read once."""
    return (resources.files(_PACKAGE) / "static" / name).read_text(encoding="utf-8")


@cache
def _template(name: str) -> string.Template:
    text = (resources.files(_PACKAGE) / "templates" / name).read_text(encoding="utf-8")
    return string.Template(text.rstrip("\n"))


def fill(name: str, **values: object) -> str:
    """``templates/<name>`` with its placeholders replaced by ``values`` (all of them needed).

    The values are inserted as given: the caller escapes text, and passes markup it built.
    """
    return _template(name).substitute(values)


#: What the receiver page plays with, as a course card says it.
_PLAYED_WITH = {"hls.js": "with hls.js", "native": "with the browser's own HLS"}


def _json_for_script(value: object) -> str:
    return json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _code_list(names: Sequence[str]) -> str:
    return ", ".join(f"<code>{html.escape(n)}</code>" for n in names)


class Pages:
    """The pages of one built demo: what ``info`` says, and the middleware's ``cookies``.

    ``relaxed`` when the demo serves plain HTTP on localhost: the footer says what that relaxes.
    """

    def __init__(
        self,
        info: DemoInfo,
        cookies: CloudFrontCookies,
        *,
        relaxed: bool,
        player: CookielessPlayer,
    ) -> None:
        self.info = info
        self.cookies = cookies
        self.relaxed = relaxed
        self.player = player

    # -- the frame of every page ---------------------------------------------------------------

    def document(self, title: str, body: str, *, user: DemoUser | None, csrf: Csrf) -> str:
        """A whole page: header (with a logout form when signed in), ``body``, footer, script."""
        logout = (
            fill("logout_form.html", user=html.escape(user.name), csrf_field=csrf.form_field())
            if user
            else ""
        )
        config = {
            "media": self.info.media_url,
            "keepalive": self.cookies.keepalive_path if user else None,
            "keepaliveSeconds": max(30, self.cookies.renew_before // 2),
        }
        return self._frame(title, body, logout=logout, config=config, script="demo.js")

    def _frame(
        self,
        title: str,
        body: str,
        *,
        logout: str,
        config: Mapping[str, object],
        script: str,
        external: str = "",
    ) -> str:
        """``page.html`` around ``body``: ``config`` for ``static/<script>``, inlined after the
        ``external`` script tags."""
        return fill(
            "page.html",
            title=html.escape(title),
            style=static("demo.css"),
            logout=logout,
            body=body,
            footer=self._footer(),
            config=_json_for_script(config),
            external=external,
            script=static(script),
        )

    def _footer(self) -> str:
        if self.relaxed:
            return fill("footer_local.html")
        return fill(
            "footer_production.html", domain=html.escape(self.info.cookie_domain or "host-only")
        )

    def probe_card(self, course: DemoCourse, *, auto: bool, label: str) -> str:
        """A card that asks the edge for ``course`` (on load if ``auto``, else on a click)."""
        url = self.info.media(course.slug)
        return fill(
            "probe_card.html",
            slug=course.slug,
            url=html.escape(url),
            auto=1 if auto else 0,
            title=html.escape(course.title),
            label=html.escape(label),
        )

    # -- signed out ----------------------------------------------------------------------------

    def login(self, csrf: Csrf, *, error: str | None, copied: str = "") -> str:
        """The sign-in page's body, after ``copied`` (the copy kept at logout, if any)."""
        rows = "".join(
            f"<tr><td><code>{html.escape(u.name)}</code></td>"
            f"<td>{', '.join(html.escape(c) for c in u.courses)}</td></tr>"
            for u in self.info.users
        )
        message = f'<p class="bad" id="error">{html.escape(error)}</p>' if error else ""
        probe = self.probe_card(self.info.courses[0], auto=True, label="Ask again")
        return copied + fill(
            "login.html", message=message, csrf_field=csrf.form_field(), rows=rows, probe=probe
        )

    def copied(self, copies: Sequence[Copied], csrf: Csrf) -> str:
        """The section on the copy of the cookies kept at logout: names, paths, expiry."""
        if not copies:
            return fill("copied_none.html")
        rows = []
        for copy in copies:
            policy = copy.decision.policy
            expiry = f"{utc_text(policy.date_less_than)}" if policy is not None else "(no policy)"
            for name in copy.names:
                rows.append(
                    f"<tr><td><code>{html.escape(name)}</code></td>"
                    f"<td><code>Path={html.escape(copy.path)}</code></td><td>{expiry}</td></tr>"
                )
        return fill("copied.html", rows="".join(rows), csrf_field=csrf.form_field())

    # -- the replay ----------------------------------------------------------------------------

    def replay(self, results: Sequence[Replayed], *, signed_in: bool) -> str:
        """The replay page's body: what the edge answered to each copied path."""
        if results:
            summary = self._replay_summary(results, signed_in=signed_in)
            table = fill("replay_table.html", rows="".join(map(_replayed_row, results)))
        else:
            summary = '<p class="muted">There is no copy to replay: sign in first.</p>'
            table = ""
        return fill(
            "replay.html",
            state="on" if self.info.revocation else "off",
            signed_in=1 if signed_in else 0,
            count=len(results),
            summary=summary,
            table=table,
        )

    def _replay_summary(self, results: Sequence[Replayed], *, signed_in: bool) -> str:
        valid = [r for r in results if r.policy_allowed]
        refused = [r for r in valid if r.status == 403]
        served = [r for r in valid if r.status == 200]
        first_end = min((r.policy_expires or 0 for r in valid), default=0)
        until = f" (until <b>{utc_text(first_end)}</b>)" if valid else ""
        if signed_in:
            return fill("replay_signed_in.html")
        if refused and all(r.decision == "session_revoked" for r in refused) and not served:
            return fill("replay_refused.html", until=until)
        if served and not refused:
            hint = "" if self.info.revocation else fill("replay_revocation_hint.html")
            return fill("replay_served.html", until=until, hint=hint)
        return "<p>The edge's answers are below.</p>"

    # -- signed in -----------------------------------------------------------------------------

    def dashboard(
        self,
        user: DemoUser,
        state: State | None,
        csrf: Csrf,
        links: Mapping[str, str | PlaylistLinkError],
    ) -> str:
        """The signed-in page's body: the cookies issued, the courses (each with its link for
        a player without cookies, or why there is none), the refused ones, and logging out
        with a copy."""
        courses = {c.slug: c for c in self.info.courses}
        refused = [c for c in self.info.courses if c.slug not in user.courses]
        body = fill(
            "dashboard.html",
            state_cookie=html.escape(self.cookies.state_cookie_name),
            key_pair_id=html.escape(self.info.key_pair_id),
            rows=self._cookie_rows(state),
            renewal=self._renewal(state),
            media_url=html.escape(self.info.media_url),
            cards="".join(self._course_card(courses[s], links[s]) for s in user.courses),
        )
        if refused:
            probes = "".join(self.probe_card(c, auto=False, label=f"Try {c.slug}") for c in refused)
            body += fill("not_granted.html", probes=probes)
        return body + self._revocation(csrf)

    def _cookie_rows(self, state: State | None) -> str:
        if state is None:
            return fill("no_cookies_row.html")
        attributes = self.cookies.cloudfront_attributes
        flags = ", ".join(
            flag
            for flag, on in (
                ("Secure", attributes.secure),
                ("HttpOnly", attributes.httponly),
                (f"SameSite={attributes.samesite}", attributes.samesite is not None),
            )
            if on
        )
        domain = f"Domain={state.domain}" if state.domain else "host-only (no Domain)"
        rows = []
        names = [COOKIE_POLICY, COOKIE_SIGNATURE, COOKIE_KEY_PAIR_ID]
        if state.session_id:
            names.append(self.cookies.session_cookie_name)
        for prefix in state.prefixes:
            for name in names:
                rows.append(
                    f'<tr data-path="{html.escape(prefix)}"><td><code>{name}</code></td>'
                    f"<td><code>Path={html.escape(prefix)}</code></td>"
                    f"<td>{html.escape(domain)}</td><td>{html.escape(flags)}</td>"
                    f"<td>{utc_text(state.expires)}</td></tr>"
                )
        return "".join(rows)

    def _renewal(self, state: State | None) -> str:
        if state is None or not self.cookies.keepalive_path:
            return ""
        return fill(
            "renewal.html",
            expires=utc_text(state.expires),
            minutes=self.cookies.renew_before // 60,
            keepalive=html.escape(self.cookies.keepalive_path),
        )

    def _course_card(self, course: DemoCourse, link: str | PlaylistLinkError) -> str:
        return fill(
            "course_card.html",
            slug=course.slug,
            playlist=html.escape(self.info.media(course.slug)),
            poster=html.escape(self.info.media(course.slug, "poster.png")),
            title=html.escape(course.title),
            cookieless=self._cookieless(course, link),
        )

    def _cookieless(self, course: DemoCourse, link: str | PlaylistLinkError) -> str:
        """The course card's part on its player without cookies: the link, or why none."""
        if not isinstance(link, str):
            return fill(
                "cookieless_refused.html",
                slug=course.slug,
                reason=html.escape(link.reason),
                message=html.escape(str(link)),
            )
        revocation = "on" if self.info.revocation else "off"
        return fill(
            "cookieless.html",
            slug=course.slug,
            link=html.escape(link),
            folder=html.escape(course.prefix),
            receiver=RECEIVER_PATH,
            engine=_PLAYED_WITH[self.player.engine],
            absolute=html.escape(self.info.app_url + link),
            minutes=self.player.playlists.link_lifetime // 60,
            revocation=fill(f"cookieless_revocation_{revocation}.html"),
        )

    # -- the player without cookies ------------------------------------------------------------

    def receiver(self) -> str:
        """The receiver page: plays the link in its fragment (``static/receiver.js``)."""
        engine = self.player.engine
        body = fill(
            "receiver.html",
            engine=engine,
            media_url=html.escape(self.info.media_url),
            how=fill("receiver_hls.html" if engine == "hls.js" else "receiver_native.html"),
            requests_title=(
                "The player's requests" if engine == "hls.js" else "This page's segment requests"
            ),
        )
        config = {
            "media": self.info.media_url,
            "route": self.player.playlists.route + "/",
            "courses": [c.prefix for c in self.info.courses],
            "segment": segment_name(0),
            "engine": engine,
            "secrets": ["Policy", "Signature", self.cookies.session_cookie_name],
        }
        external = f'<script src="{HLS_JS_PATH}"></script>\n' if engine == "hls.js" else ""
        return self._frame(
            "player without cookies",
            body,
            logout="",
            config=config,
            script="receiver.js",
            external=external,
        )

    def _revocation(self, csrf: Csrf) -> str:
        if self.info.revocation:
            state = fill(
                "revocation_on.html",
                session_cookie=html.escape(self.cookies.session_cookie_name),
            )
        else:
            state = fill("revocation_off.html")
        return fill("revocation.html", state=state, csrf_field=csrf.form_field())


def _replayed_row(r: Replayed) -> str:
    """One row of the replay table: the request, the cookies sent (names), both verdicts."""
    return (
        f'<tr class="replayed" data-path="{html.escape(r.path)}" data-status="{r.status}" '
        f'data-decision="{html.escape(r.decision)}" '
        f'data-policy="{html.escape(r.policy_reason)}">'
        f"<td><code>GET {html.escape(r.url)}</code></td>"
        f"<td>{_code_list(r.names)}</td>"
        f'<td class="{"ok" if r.policy_allowed else "bad"}">{html.escape(r.policy_reason)}'
        + (f" until {utc_text(r.policy_expires)}" if r.policy_expires else "")
        + "</td>"
        f'<td><span class="status {"ok" if r.status == 200 else "bad"}">{r.status}</span> '
        f"<code>{html.escape(r.decision)}</code>"
        + (f" — {r.size} bytes" if r.status == 200 else "")
        + "</td></tr>"
    )
