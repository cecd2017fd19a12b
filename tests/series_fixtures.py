"""A fixture upstream where a patch queue meets every state the series engine
reports, at known commits.

``build(path)`` makes a bare repository with ``stable-4.6``:

    RELEASE-4.6.1 (annotated)  the base every queued patch was made against
    filler commits              touching files no patch touches
    "offset"  commit            3 lines inserted at the top of offset.c -> OFFSET_PATCH: offset 3
    RELEASE-4.6.3
    "fuzz"    commit            fuzz.c's outermost context line changed  -> FUZZ_PATCH: fuzz 1
    "fail"    commit            the line FAIL_PATCH changes is changed   -> FAIL_PATCH: fails
    "carried" commit            CARRIED_PATCH's own change, same Subject -> CARRIED_PATCH: carried (reverse-applies)
    "subject" commit            SUBJECT_PATCH's Subject, another change  -> SUBJECT_PATCH: carried (Subject)
    "exists"  commit            adds new.c                               -> CREATE_PATCH: fails (file exists)
    RELEASE-4.6.4 (lightweight)
    more fillers, tip

plus ``stable-4.7`` (a RELEASE-4.7.0 tag) for "not a release of this branch".
The patch files, with ``Upstream-Status`` headers, land in ``<path>.patches/``.
"""

from __future__ import annotations

import difflib
import shutil
from pathlib import Path

import git

import xen_fixtures as XF

CLEAN_PATCH = "0001-clean-keep-stepping.patch"
OFFSET_PATCH = "0002-offset-tune-offset.patch"
FUZZ_PATCH = "0003-fuzz-tune-fuzz.patch"
FAIL_PATCH = "0004-fail-tune-fail.patch"
CARRIED_PATCH = "0005-carried-fix-the-leak.patch"
SUBJECT_PATCH = "0006-subject-harden-the-parser.patch"
CREATE_PATCH = "0007-create-add-new-c.patch"
XSA_PATCH = "xsa400.patch"
LATER_PATCH = "0008-later-uses-clean.patch"  # depends on CLEAN_PATCH's change

QUEUE = [CLEAN_PATCH, OFFSET_PATCH, FUZZ_PATCH, FAIL_PATCH, CARRIED_PATCH, SUBJECT_PATCH, CREATE_PATCH]
FILLERS = 12


def lines(name: str, n: int = 40) -> str:
    return "".join(f"{name} line {i}\n" for i in range(1, n + 1))


def make_patch(rel: str, old: str | None, new: str | None, *, subject: str, status: str | None = "Pending",
               body: str = "") -> str:
    """A format-patch style patch for one file (old/new None: created/deleted)."""
    head = f"From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\nFrom: Dev <dev@example.org>\n" \
           f"Subject: [PATCH] {subject}\n\n{body or subject + '.'}\n\n"
    if status:
        head += f"Upstream-Status: {status}\n"
    head += "Signed-off-by: Dev <dev@example.org>\n---\n"
    a = f"a/{rel}" if old is not None else "/dev/null"
    b = f"b/{rel}" if new is not None else "/dev/null"
    diff = "".join(difflib.unified_diff((old or "").splitlines(True), (new or "").splitlines(True), a, b, n=3))
    git_head = f"diff --git a/{rel} b/{rel}\n" + ("new file mode 100644\n" if old is None else "")
    return head + git_head + diff + "-- \n2.39.5\n"


def build(path: Path) -> XF.Upstream:
    work = path.with_name(path.name + ".work")
    patches = path.with_name(path.name + ".patches")
    patches.mkdir(parents=True, exist_ok=True)
    b = XF._Builder(work)
    files = {n: lines(n) for n in ("clean.c", "offset.c", "fuzz.c", "fail.c", "carried.c", "subject.c",
                                   "filler.c", "xsa.c", "later.c")}
    b.write("COPYING", "GNU GENERAL PUBLIC LICENSE\nVersion 2\n")
    b.write("xen/Makefile", "export XEN_VERSION_STRING = 4.6.0\n")
    for name, text in files.items():
        b.write(f"xen/common/{name}", text)
    b.commit("Initial import")
    b.tag("RELEASE-4.6.0")
    b.branch("stable-4.6")
    b.version("4.6.1", "4.6.1")
    b.tag("RELEASE-4.6.1")

    def rel(n):
        return f"xen/common/{n}"

    def write_patch(name, rel_path, old, new, subject, **kw):
        (patches / name).write_text(make_patch(rel_path, old, new, subject=subject, **kw))

    base = dict(files)
    write_patch(CLEAN_PATCH, rel("clean.c"), base["clean.c"], base["clean.c"].replace("clean.c line 20\n",
                "clean.c line 20 stepped\n"), "clean: keep stepping")
    write_patch(OFFSET_PATCH, rel("offset.c"), base["offset.c"], base["offset.c"].replace("offset.c line 30\n",
                "offset.c line 30 tuned\n"), "offset: tune offset")
    write_patch(FUZZ_PATCH, rel("fuzz.c"), base["fuzz.c"], base["fuzz.c"].replace("fuzz.c line 20\n",
                "fuzz.c line 20 tuned\n"), "fuzz: tune fuzz")
    write_patch(FAIL_PATCH, rel("fail.c"), base["fail.c"], base["fail.c"].replace("fail.c line 10\n",
                "fail.c line 10 tuned\n"), "fail: tune fail")
    carried_new = base["carried.c"].replace("carried.c line 5\n", "carried.c line 5 fixed\n")
    write_patch(CARRIED_PATCH, rel("carried.c"), base["carried.c"], carried_new, "carried: fix the leak")
    write_patch(SUBJECT_PATCH, rel("subject.c"), base["subject.c"], base["subject.c"].replace(
                "subject.c line 12\n", "subject.c line 12 hardened\n"), "subject: harden the parser")
    write_patch(CREATE_PATCH, rel("new.c"), None, "new file\nby us\n", "create: add new.c")
    write_patch(XSA_PATCH, rel("xsa.c"), base["xsa.c"], base["xsa.c"].replace("xsa.c line 8\n",
                "xsa.c line 8 checked\n"), "xsa: check the frame", body="This is XSA-400.", status="Backport")
    after_clean = base["clean.c"].replace("clean.c line 20\n", "clean.c line 20 stepped\n")
    write_patch(LATER_PATCH, rel("clean.c"), after_clean, after_clean.replace("clean.c line 21\n",
                "clean.c line 21 uses the step\n"), "later: uses clean")

    def filler(i):
        b.edit(rel("filler.c"), f"filler.c line {i}\n", f"filler.c line {i} x\n")
        b.commit(f"filler: step {i}", f"filler-{i}")

    for i in range(1, FILLERS // 2 + 1):
        filler(i)
    intro = "offset.c intro a\noffset.c intro b\noffset.c intro c\n"
    b.edit(rel("offset.c"), "offset.c line 1\n", intro + "offset.c line 1\n")
    b.commit("offset: add an intro", "offset")
    b.version("4.6.3", "4.6.3")
    b.tag("RELEASE-4.6.3")
    b.edit(rel("fuzz.c"), "fuzz.c line 17\n", "fuzz.c line 17 reworded\n")
    b.commit("fuzz: reword line 17", "fuzz")
    filler(FILLERS // 2 + 1)
    b.edit(rel("fail.c"), "fail.c line 10\n", "fail.c line 10 rewritten upstream\n")
    b.commit("fail: rewrite line 10", "fail")
    b.write(rel("carried.c"), carried_new)
    b.commit("carried: fix the leak\n\n(cherry picked from commit 1234567)", "carried")
    b.edit(rel("subject.c"), "subject.c line 12\n", "subject.c line 12 hardened upstream\n")
    b.commit("subject: harden the parser", "subject")
    b.write(rel("new.c"), "upstream's own new.c\n")
    b.commit("add new.c upstream", "exists")
    b.version("4.6.4", "4.6.4")
    b.tag("RELEASE-4.6.4", annotated=False)
    for i in range(FILLERS // 2 + 2, FILLERS + 1):
        filler(i)
    b.commit("tools: tidy", "tip")
    b.checkout("master")
    b.version("4.7.0", "4.7.0")
    b.tag("RELEASE-4.7.0")
    b.branch("stable-4.7")

    if path.exists():
        shutil.rmtree(path)
    git.Repo.clone_from(str(work), str(path), bare=True, mirror=True).close()
    b.repo.close()
    shutil.rmtree(work)
    return XF.Upstream(path=path, url=path.resolve().as_uri(), patches=patches, commits=dict(b.commits))


def queue_patches(checkout: Path, upstream: XF.Upstream, names: list[str], *, xsa: list[str] = ()) -> None:
    """Put *names* in the checkout's OpenXT queue (and *xsa* as XSA-400) by editing the manifest, then render."""
    from ruamel.yaml import YAML

    from oxt.render import render
    from oxt.repo import Checkout

    y = YAML(typ="rt")
    y.indent(mapping=2, sequence=4, offset=2)
    y.width = 4096
    mpath = checkout / "recipes-templates" / "manifest.yml"
    data = y.load(mpath.read_text())
    track = data["xen"]["tracks"][0]
    files = checkout / "meta-openxt" / "recipes-extended" / "xen" / "files"
    (files / "openxt").mkdir(parents=True, exist_ok=True)
    for n in names:
        shutil.copy(upstream.patches / n, files / "openxt" / n)
    track["patches"] = [{"file": n, "purpose": f"fixture {n}"} for n in names]
    if xsa:
        (files / "xsa").mkdir(parents=True, exist_ok=True)
        for n in xsa:
            shutil.copy(upstream.patches / n, files / "xsa" / n)
        track["xsa"] = [{"number": 400, "patches": list(xsa),
                         "origin": "https://xenbits.xen.org/xsa/advisory-400.html"}]
    with mpath.open("w") as fh:
        y.dump(data, fh)
    render(Checkout(checkout))
    repo = git.Repo(checkout)
    repo.git.add("-A")
    repo.git.commit("-q", "-m", "queue fixture patches")
    repo.close()
