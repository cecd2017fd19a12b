"""`oxt xen series` / `survey` / `refresh` results -> data -> text, markdown or JSON.

Each command first turns its result into plain data (``*_data``), the JSON
output as is; text and markdown are rendered from that same data.
"""

from __future__ import annotations

import json

from oxt.table import markdown_table, table
from oxt.xen.series import KINDS, STATUSES, SeriesResult
from oxt.xen.survey import Survey

FORMATS = ("text", "markdown", "json")
QUEUE_LABELS = {"upstream": "meta-virt", "xsa": "XSA", "openxt": "OpenXT"}


def _verdict(counts: dict[str, int]) -> str:
    bad = [f"{counts[s]} {w}" for s, w in (("fuzz", "need fuzz"), ("fails", "fail"), ("carried", "carried upstream"))
           if counts.get(s)]
    return "OK" if not bad else "BROKEN: " + ", ".join(bad)


# -- series -------------------------------------------------------------------------------

def series_data(track: str, at: dict, results: list[tuple[str, SeriesResult]]) -> dict:
    recipes = []
    for recipe, r in results:
        patches = [{"index": i + 1, **p.to_dict(), "label": p.label} for i, p in enumerate(r.results)]
        recipes.append({"recipe": recipe, "ok": r.ok, "counts": r.counts(), "patches": patches})
    return {"track": track, "at": at, "ok": all(x["ok"] for x in recipes), "recipes": recipes}


def _at_label(at: dict) -> str:
    return at.get("describe") or at.get("ref") or at["commit"][:12]


def series_text(data: dict, markdown: bool = False) -> str:
    out = []
    title = f"Xen {data['track']} at {_at_label(data['at'])} ({data['at']['commit'][:12]})"
    out.append(f"## {title}" if markdown else title)
    for rec in data["recipes"]:
        out.append("")
        head = f"{rec['recipe']}: {len(rec['patches'])} patches, {_verdict(rec['counts'])}"
        out.append(f"### {head}" if markdown else head)
        if not rec["patches"]:
            continue
        rows = [["#", "PATCH", "QUEUE", "RESULT", "DETAIL"]]
        for p in rec["patches"]:
            rows.append([str(p["index"]), p["patch"], QUEUE_LABELS.get(p["kind"], p["kind"]), p["label"], p["detail"]])
        out += [""] if markdown else []
        out += markdown_table(rows) if markdown else table(rows, indent="  ")
    out.append("")
    if data["ok"]:
        out.append("Every patch applies as do_patch needs it (clean or offset only).")
    else:
        out.append("do_patch would fail: a hunk needing fuzz is OE's patch-fuzz QA error (ERROR_QA), a failing "
                   "hunk stops do_patch. `oxt xen refresh` rewrites the fuzzy ones; failing ones need a rebase, "
                   "carried ones can be dropped.")
    return "\n".join(out) + "\n"


# -- survey --------------------------------------------------------------------------------

def survey_data(track: str, recipe: str, survey: Survey, *, without_xsa: bool, from_ref: str, to_ref: str,
                describe=lambda sha: None) -> dict:
    kinds = sorted({k for _, k in survey.patches}, key=KINDS.index)
    points = []
    for p in survey.points:
        counts = {k: p.result.counts([k]) for k in kinds}
        points.append({"label": p.label, "commit": p.commit.sha, "describe": describe(p.commit.sha),
                       "subject": p.commit.subject, "ok": p.result.ok, "counts": counts,
                       "patches": {r.name: r.label for r in p.result.results}})
    patches = []
    for name, kind in survey.patches:
        fb = survey.first_break(name)
        fix = survey.first_fix(name) if not survey.at_start[name].ok else None
        start = survey.at_start[name]
        carried = next((t for t in survey.transitions if t.patch == name and t.after == "carried"), None)
        patches.append({
            "patch": name, "kind": kind, "at_from": start.label, "ok_at_from": start.ok,
            "first_break": None if fb is None else {
                "commit": fb.commit.sha, "subject": fb.commit.subject, "status": fb.result.label,
                "detail": fb.result.detail, "describe": describe(fb.commit.sha)},
            "applies_from": None if fix is None else {"commit": fix.commit.sha, "subject": fix.commit.subject},
            "carried_upstream": None if carried is None else {
                "commit": carried.commit.sha, "subject": carried.commit.subject, "how": carried.result.carried_by},
            "transitions": [{"commit": t.commit.sha, "subject": t.commit.subject, "from": t.before, "to": t.after}
                            for t in survey.transitions if t.patch == name],
        })
    return {
        "track": track, "recipe": recipe, "without_xsa": without_xsa,
        "from": {"ref": from_ref, "commit": survey.start.sha},
        "to": {"ref": to_ref, "commit": survey.end.sha},
        "commits": survey.commits, "commits_touching_series": survey.relevant,
        "evaluations": survey.evaluations, "patch_runs": survey.patch_runs,
        "seconds": round(survey.seconds, 2), "kinds": kinds, "points": points, "patches": patches,
    }


def survey_text(data: dict, markdown: bool = False) -> str:
    out = []
    xsa = " without the XSA queue" if data["without_xsa"] else ""
    title = (f"Survey of {data['recipe']} ({data['track']}){xsa}: {data['from']['ref']}..{data['to']['ref']}")
    out.append(f"## {title}" if markdown else title)
    n = {k: sum(1 for p in data["patches"] if p["kind"] == k) for k in data["kinds"]}
    out.append("")
    out.append(f"{len(data['patches'])} patches ({', '.join(f'{v} {QUEUE_LABELS[k]}' for k, v in n.items())}); "
               f"{data['commits']} upstream commits, {data['commits_touching_series']} of them touch the "
               f"series' files; {data['evaluations']} commits evaluated, {data['patch_runs']} patch runs, "
               f"{data['seconds']:.1f} s.")
    out.append("")
    head = ["AT", "COMMIT"]
    for k in data["kinds"]:
        head += [f"{QUEUE_LABELS[k]} clean", "offset", "fuzz", "fails", "carried"]
    rows = [head]
    for p in data["points"]:
        row = [p["label"], p["commit"][:12]]
        for k in data["kinds"]:
            row += [str(p["counts"][k][s]) for s in STATUSES]
        rows.append(row)
    out += markdown_table(rows) if markdown else table(rows)
    out.append("")
    broke = [p for p in data["patches"] if p["first_break"] or not p["ok_at_from"]]
    sub = ("Per patch: the first commit at which it stops applying as do_patch needs it (a patch broken at "
           "the start: from when it applies, then when it breaks again)")
    out.append(f"### {sub}" if markdown else sub + ":")
    out.append("")
    if not broke:
        out.append("none: every patch applies (clean or offset) all along the range.")
    else:
        rows = [["PATCH", "QUEUE", f"AT {data['from']['ref']}", "APPLIES FROM", "BREAKS AT", "AS",
                 "UPSTREAM COMMIT THAT BROKE IT"]]
        for p in broke:
            fb, fix = p["first_break"], p["applies_from"]
            since = fix["commit"][:12] if fix else ("" if p["ok_at_from"] else "never")
            if fb:
                rows.append([p["patch"], QUEUE_LABELS[p["kind"]], p["at_from"], since, fb["commit"][:12], fb["status"],
                             fb["subject"]])
            else:
                rows.append([p["patch"], QUEUE_LABELS[p["kind"]], p["at_from"], since, "-", "", ""])
        out += markdown_table(rows) if markdown else table(rows)
    return "\n".join(out) + "\n"


# -- refresh ---------------------------------------------------------------------------------

def refresh_data(track: str, at: dict, plan, *, dry_run: bool, labels: dict[str, str]) -> dict:
    return {
        "track": track, "at": at, "dry_run": dry_run,
        "refreshed": [{"patch": r.patch.name, "file": labels.get(r.patch.name, r.patch.name),
                       "was": r.before.label, "diff": r.diff(labels.get(r.patch.name))} for r in plan.refreshed],
        "failing": [{"patch": r.name, "status": r.label, "detail": r.detail} for r in plan.failing],
        "not_ours": [{"patch": r.name, "status": r.label} for r in plan.not_ours],
        "conflicts": plan.conflicts,
    }


def refresh_text(data: dict, markdown: bool = False) -> str:
    out = []
    verb = "would refresh" if data["dry_run"] else "refreshed"
    for r in data["refreshed"]:
        out.append(f"{verb} {r['file']} ({r['was']} -> clean)")
    if data["refreshed"]:
        out.append("")
        diff = "".join(r["diff"] for r in data["refreshed"])
        out += (["```diff", diff.rstrip("\n"), "```"] if markdown else [diff.rstrip("\n")])
        out.append("")
    if not data["refreshed"]:
        out.append(f"nothing to refresh on {data['track']} at {_at_label(data['at'])}: no patch of ours "
                   "applies with an offset or fuzz")
    for r in data["failing"]:
        out.append(f"not refreshed (it does not apply: rebase it by hand or drop it): {r['patch']}: "
                   f"{r['status']}: {r['detail']}")
    for r in data["not_ours"]:
        out.append(f"not refreshed (meta-virtualization's; fix it there): {r['patch']}: {r['status']}")
    for name in data["conflicts"]:
        out.append(f"not refreshed (applies differently in xen and xen-tools): {name}")
    return "\n".join(out) + "\n"


def to_json(data) -> str:
    return json.dumps(data, indent=2, sort_keys=False) + "\n"
