"""A bump result as data, and its renderings: plain text (terminal),
markdown (pull-request body, issue 5) and JSON (bots); ``oxt xsa status``'s
table is one more rendering of the same data.

:func:`to_data` is the single source; the renderers only format it, so a
new format is one small function.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from oxt.table import markdown_table, table
from oxt.xen.defaults import SUMMARY_FORMATS
from oxt.xen.series_report import QUEUE_LABELS

if TYPE_CHECKING:
    from oxt.xen.plan import TrackPlan


def to_data(plans: list[TrackPlan], *, dry_run: bool = False, commit: str | None = None,
            stopped: list[str] = ()) -> dict:
    tracks = []
    for p in plans:
        tracks.append({
            "track": p.branch,
            "mode": p.mode,
            "changed": p.changed,
            "downgrade": p.downgrade,
            "old": {"commit": p.old.commit, "describe": p.old.describe, "version": p.old.version,
                    "sha256": p.old.sha256},
            "new": {"commit": p.new.commit, "describe": p.new.describe, "version": p.new.version,
                    "url": p.new.url, "sha256": p.new.sha256, "signature": p.new.signature},
            "upstream_commits": [{"commit": c.sha, "subject": c.subject} for c in p.commits],
            "upstream_xsas": {str(n): [c.sha for c in cs] for n, cs in sorted(p.upstream_xsas.items())},
            "xsas": [{
                "xsa": d.number, "status": d.status, "action": "drop" if d.drop else "keep",
                "patches": d.patches,
                "upstream": [{"commit": c.sha, "subject": c.subject, "backport_of": c.backport_of}
                             for c in d.upstream],
                "reverse_applies": d.reverse_clean, "applies": d.forward_clean, "note": d.note,
            } for d in p.decisions],
            "removed_files": p.dropped_files,
            "warnings": p.warnings,
            "series": p.series.to_data() if p.series else None,
        })
    return {"dry_run": dry_run, "commit": commit, "changed": any(t["changed"] for t in tracks),
            "stopped": list(stopped), "tracks": tracks}


def to_json(data: dict) -> str:
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


def _label(pin: dict) -> str:
    if pin.get("version"):
        return pin["version"]
    if pin.get("describe"):
        return pin["describe"]
    return (pin.get("commit") or "(none)")[:12]


def _yes_no(v) -> str:
    return "-" if v is None else ("yes" if v else "no")


def _upstream_shas(x: dict) -> str:
    return " ".join(c["commit"][:12] for c in x["upstream"]) or "-"


def to_text(data: dict) -> str:
    out = []
    rows = [["TRACK", "MODE", "OLD", "NEW", "COMMITS", "XSA DROPPED", "XSA KEPT"]]
    for t in data["tracks"]:
        dropped = [x for x in t["xsas"] if x["action"] == "drop"]
        kept = [x for x in t["xsas"] if x["action"] == "keep"]
        rows.append([t["track"], t["mode"], _label(t["old"]),
                     _label(t["new"]) if t["changed"] else "(unchanged)",
                     str(len(t["upstream_commits"])), str(len(dropped)), str(len(kept))])
    out += table(rows)
    for t in data["tracks"]:
        if not t["xsas"]:
            continue
        out.append("")
        out.append(f"{t['track']}: queued XSAs")
        rows = [["XSA", "STATUS", "ACTION", "UPSTREAM COMMITS", "REVERSE-APPLIES", "NOTE"]]
        for x in t["xsas"]:
            rows.append([f"XSA-{x['xsa']}", x["status"], x["action"], _upstream_shas(x),
                         _yes_no(x["reverse_applies"]), x["note"]])
        out += table(rows, indent="  ")
    for t in data["tracks"]:
        if t["series"]:
            out += ["", f"{t['track']}: {_series_title(t['series'])}"]
            out += table(_series_rows(t["series"]), indent="  ")
    for t in data["tracks"]:
        for w in t["warnings"]:
            out.append(f"warning: {t['track']}: {w}")
        if t["series"] and t["series"]["allowed_broken"]:
            out += [f"warning: {t['track']}: written with --allow-broken-series, but {b['patch']} {b['status']} "
                    f"at the new pin ({b['detail']}), {b['blame']}" for b in t["series"]["broken"]]
    if data["stopped"]:
        out.append("stopped, nothing written: the OpenXT patch series breaks at the new pin "
                   "(rebase or drop the patches, or pass --allow-broken-series)")
    return "\n".join(out + outcome(data)) + "\n"


def outcome(data: dict) -> list[str]:
    """The last line of a report that may write (bump xen, xsa sync): dry run, or the commit made."""
    if data.get("stopped"):
        return []
    if data["dry_run"]:
        return ["dry run: nothing written"]
    return [f"committed {data['commit'][:12]}"] if data["commit"] else []


def _series_title(s: dict) -> str:
    n = len(s["patches"])
    at = s["describe"] or s["commit"][:12]
    if not s["ok"]:
        return f"patch series at {at}: {n} patches, BROKEN: {len(s['broken'])} OpenXT patch(es) do not apply"
    if s["others_failing"]:
        return (f"patch series at {at}: {n} patches, the OpenXT queue applies; {s['others_failing']} XSA or "
                "meta-virtualization patch(es) do not (see the XSA notes and warnings)")
    return f"patch series at {at}: {n} patches, all apply as do_patch needs (clean or offset)"


def _series_rows(s: dict) -> list[list[str]]:
    """One row per patch of the series (xen and xen-tools side by side), in SRC_URI order."""
    rows = [["#", "PATCH", "QUEUE", *s["recipes"], "DETAIL", "BROKEN BY"]]
    for i, p in enumerate(s["patches"], 1):
        by = p["broken_by"]
        rows.append([str(i), p["patch"], QUEUE_LABELS.get(p["kind"], p["kind"]),
                     *(p["results"].get(r, "-") for r in s["recipes"]), p["detail"],
                     f"{by['commit'][:12]} {by['subject']}" if by else ""])
    return rows


def _broken_series_markdown(s: dict) -> list[str]:
    """The call-out at the top of a pull request whose patch series does not apply."""
    written = "written with `--allow-broken-series`" if s["allowed_broken"] else "nothing written"
    out = ["> [!WARNING]", f"> **The OpenXT patch series does not apply at this commit** ({written}): "
           "bitbake's do_patch will fail. Rebase or drop these patches:", ">"]
    out += [f"> - `{b['patch']}` {b['status']}: {b['detail']} — {b['blame']}" for b in s["broken"]]
    return out + [""]


def to_markdown(data: dict) -> str:
    """The pull-request body the scheduled tracker posts (empty: nothing to propose)."""
    if not data["changed"]:
        return ""
    out = []
    for t in data["tracks"]:
        if not t["changed"]:
            continue
        out.append(f"## Xen `{t['track']}`: {_label(t['old'])} → {_label(t['new'])}")
        out.append("")
        new = t["new"]
        out.append(f"- mode: {t['mode']}; commit `{new['commit']}`")
        if new.get("sha256"):
            out.append(f"- tarball: {new['url']} (sha256 `{new['sha256']}`, signature {new.get('signature')})")
        out.append("")
        if t["series"] and t["series"]["broken"]:
            out += _broken_series_markdown(t["series"])
        if t["xsas"]:
            out.append("| XSA | status | action | upstream commits | reverse-applies | note |")
            out.append("|---|---|---|---|---|---|")
            for x in t["xsas"]:
                ups = ", ".join(f"`{c['commit'][:12]}`" for c in x["upstream"]) or "–"
                out.append(f"| XSA-{x['xsa']} | {x['status']} | {x['action']} | {ups} | "
                           f"{_yes_no(x['reverse_applies'])} | {x['note']} |")
            out.append("")
        if t["warnings"]:
            # a list: consecutive "> " lines would render as one run-on paragraph
            out.append("> **Warnings** (to look at by hand):")
            out.append(">")
            out.extend(f"> - {w}" for w in t["warnings"])
            out.append("")
        if t["series"]:
            out += [f"<details{' open' if t['series']['broken'] else ''}><summary>{_series_title(t['series'])}"
                    "</summary>", "", *markdown_table(_series_rows(t["series"])), "", "</details>", ""]
        commits = t["upstream_commits"]
        out.append(f"<details><summary>Upstream shortlog ({len(commits)} commits)</summary>")
        out.append("")
        out += [f"- `{c['commit'][:12]}` {c['subject']}" for c in commits]
        out.append("")
        out.append("</details>")
        out.append("")
    return "\n".join(out)


def status_text(data: dict) -> str:
    """``oxt xsa status``: one row per queued XSA, at the commit each track was checked against."""
    rows = [["TRACK", "AT", "XSA", "STATUS", "UPSTREAM COMMITS", "NOTE"]]
    for t in data["tracks"]:
        at = t["new"]["describe"] or (t["new"]["commit"] or "")[:12]
        for x in t["xsas"]:
            rows.append([t["track"], at, f"XSA-{x['xsa']}", x["status"], _upstream_shas(x), x["note"]])
        if not t["xsas"]:
            rows.append([t["track"], at, "-", "no XSA queued", "-", ""])
    return "\n".join(table(rows)) + "\n"


RENDERERS = {"text": to_text, "markdown": to_markdown, "json": to_json}
assert sorted(RENDERERS) == sorted(SUMMARY_FORMATS), "keep defaults.SUMMARY_FORMATS in step"
