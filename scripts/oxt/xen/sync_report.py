"""`oxt xsa sync` results as text (terminal), markdown (the tracker's
pull-request body) and JSON, all from :func:`oxt.xen.sync_plan.to_data`;
and the commit message of ``--commit``.

Text and markdown show, per advisory, the tracks that need something from a
person or got something, and count the rest. A ``no-patch`` row is shown
only when the advisory is newer than the newest one with a patch for that
version: that is the moment upstream stopped publishing patches for it (or
never did), which a maintainer must see; the hundreds of advisories that
predate a version are only counted. ``--json`` has every row.
"""

from __future__ import annotations

import json

from oxt.table import markdown_table, table
from oxt.xen import sync_plan as sp_
from oxt.xen.summary import outcome

ACTIVE = ("queued", "would-queue", *sp_.MANUAL, sp_.OTHER_TREE)
_VERB = {"queued": "queued", "would-queue": "would queue"}


def _newest_with_patch(data: dict) -> dict[str, int]:
    newest: dict[str, int] = {}
    for adv in data["advisories"]:
        for t in adv["tracks"]:
            if t["published"]:
                newest[t["track"]] = max(newest.get(t["track"], 0), adv["xsa"])
    return newest


def shown_rows(data: dict) -> list[tuple[dict, dict]]:
    """(advisory, track row) pairs worth a line (see the module docstring)."""
    newest = _newest_with_patch(data)
    rows = []
    for adv in data["advisories"]:
        for t in adv["tracks"]:
            if t["status"] in ACTIVE or (t["status"] == sp_.NO_PATCH and adv["xsa"] > newest.get(t["track"], 0)):
                rows.append((adv, t))
    return rows


def counts(data: dict) -> dict[str, int]:
    shown = {(a["xsa"], t["track"]) for a, t in shown_rows(data)}
    out: dict[str, int] = {}
    for adv in data["advisories"]:
        if not adv["tracks"]:
            out[adv["state"]] = out.get(adv["state"], 0) + 1
        for t in adv["tracks"]:
            if (adv["xsa"], t["track"]) not in shown:
                out[t["status"]] = out.get(t["status"], 0) + 1
    return out


def _patches(t: dict) -> str:
    return ", ".join(p["file"] for p in t["patches"])


def _rest(data: dict) -> str:
    rest = counts(data)
    if not rest:
        return ""
    return "not listed: " + ", ".join(f"{n} {s}" for s, n in sorted(rest.items())) + " (--json lists every row)"


def to_text(data: dict) -> str:
    rows = [["XSA", "TRACK", "STATUS", "PATCHES", "NOTE"]]
    for adv, t in shown_rows(data):
        note = t["note"]
        if t["prerequisites"]:
            note = f"prerequisites: {', '.join(f'XSA-{p}' for p in t['prerequisites'])}" + (f"; {note}" if note else "")
        rows.append([f"XSA-{adv['xsa']}", t["track"], t["status"], _patches(t) or "-", note])
    nothing = ("nothing to do: every published advisory is queued, carried upstream "
               "or has no patch for the tracked versions")
    out = table(rows) if len(rows) > 1 else [nothing]
    if rest := _rest(data):
        out.append(rest)
    signed = {a["signature"] for a in data["advisories"] if a["signature"]}
    for s in sorted(signed):
        if not s.startswith("verified"):
            out.append(f"warning: advisory signature {s}")
    if data["manual"]:
        out.append(f"{data['manual']} track(s) need a manual backport (see above); exit status 1")
    return "\n".join(out + outcome(data)) + "\n"


def _status_md(t: dict) -> str:
    s = t["status"]
    return {"queued": "✅ queued", "would-queue": "✅ applies (would queue)", sp_.FAILS: "❌ manual backport",
            sp_.FUZZY: "❌ needs fuzz (refresh or backport)", sp_.BREAKS: "❌ breaks the series after it",
            sp_.BLOCKED: "❌ blocked", sp_.NO_PATCH: "⚠️ no patch", sp_.ALREADY: "already queued",
            sp_.CARRIED: "carried upstream", sp_.OTHER_TREE: "⚠️ other tree",
            sp_.UPDATED: "❌ advisory updated"}.get(s, s)


def _upstream_md(t: dict) -> str:
    if t["upstream"]:
        return "in the pin: " + ", ".join(f"`{c[:12]}`" for c in t["upstream"])
    if t["status"] == sp_.CARRIED:
        return "in the pin (patches reverse-apply)"
    if t["status"] == sp_.ALREADY:
        return "queued, not in the pin"
    ref = t["stable_ref"]
    return f"not in the pin; prepared on `{ref[:12]}`" if ref else "not in the pin"


def to_markdown(data: dict) -> str:
    """One section per advisory that has a track row (the pull-request body of `xsa/N`)."""
    out = []
    for adv in data["advisories"]:
        if not adv["tracks"] or not adv["target"] and not any(t["status"] in ACTIVE for t in adv["tracks"]):
            continue
        n = adv["xsa"]
        title = f" — {adv['title']}" if adv["title"] else ""
        out.append(f"## XSA-{n}{title}")
        out.append("")
        facts = [f"advisory: https://xenbits.xen.org/xsa/advisory-{n}.html"]
        if adv["cves"]:
            facts.append("CVE: " + ", ".join(adv["cves"]))
        if adv["public_time"]:
            facts.append(f"public since {adv['public_time']}")
        if adv["advisory_version"]:
            facts.append(f"advisory version {adv['advisory_version']}")
        facts.append(f"signature: {adv['signature'] or 'not read (nothing to queue)'}")
        out += [f"- {f}" for f in facts]
        out.append("")
        rows = [["track", "result", "patches (sha256)", "prerequisites", "upstream", "why"]]
        for t in adv["tracks"]:
            patches = "<br>".join(f"[`{p['file']}`]({p['url']}) `{p['sha256'][:16]}…`" for p in t["patches"]) or "–"
            pre = ", ".join(f"XSA-{p}" for p in t["prerequisites"]) or "–"
            rows.append([f"`{t['track']}`", _status_md(t), patches, pre, _upstream_md(t), t["note"] or "–"])
        out += markdown_table(rows) + [""]
    if not out:
        return ""
    manual = [f"`{t['track']}` (XSA-{a['xsa']})" for a in data["advisories"] for t in a["tracks"]
              if t["status"] in sp_.MANUAL]
    if manual:
        out.append("> **Needs a maintainer**: " + ", ".join(manual) + " — the published patch does not apply "
                   "as the recipe applies it (see why above); backport it and queue it with `oxt xsa add` "
                   "(`--refresh` where only fuzz stands in the way, once the fuzz is reviewed).")
        out.append("")
    return "\n".join(out)


def to_json(data: dict) -> str:
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


RENDERERS = {"text": to_text, "markdown": to_markdown, "json": to_json}


def commit_message(sp: sp_.SyncPlan) -> str:
    queued = [(adv, a) for adv in sp.advisories for a in adv.actions if a.status == sp_.QUEUED]
    numbers = sorted({adv.number for adv, _ in queued})
    tracks = sorted({a.track for _, a in queued})
    subject = f"xen: queue {', '.join(f'XSA-{n}' for n in numbers)} on {', '.join(tracks)}"
    body = []
    for n in numbers:
        adv = sp.advisory(n)
        e = adv.entry
        body.append(f"XSA-{n}: {e.title}" if e.title else f"XSA-{n}")
        if e.cves:
            body.append(f"  {', '.join(e.cves)}")
        body.append(f"  advisory version {adv.version or '?'}, signature {adv.signature}")
        for a in adv.actions:
            if a.status == sp_.QUEUED:
                pre = f" (after {', '.join(f'XSA-{p}' for p in a.prereqs)})" if a.prereqs else ""
                body.append(f"  {a.track}{pre}:")
                body += [f"    {f.name} sha256 {f.sha256}" for f in a.files]
                body += [f"    ({a.note})"] if a.note else []  # e.g. queued rewritten (--refresh): not these bytes
            elif a.status in sp_.MANUAL:
                body.append(f"  {a.track}: NOT queued ({a.status}): {a.note}")
        body.append("")
    # a trailer per track left to a person: the tracker marks the pull request's title with it
    trailers = [f"Needs-Backport: XSA-{a.xsa} ({a.track}, {a.status})" for adv in sp.advisories for a in adv.actions
                if a.status in sp_.MANUAL]
    return subject + "\n\n" + "\n".join(body).rstrip() + "\n" + ("\n" + "\n".join(trailers) + "\n" if trailers else "")
