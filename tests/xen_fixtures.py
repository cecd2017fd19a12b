"""Fixture upstream Xen repositories with the shapes of the real xen.git.

``build_upstream(path)`` makes a bare repository (served to the tool as a
file:// remote) holding:

- ``master`` with RELEASE-4.6.0 (annotated), rc noise tags (``4.6.0-rc1``
  lightweight, ``RELEASE-4.6.0-rc2`` annotated) and later work;
- ``stable-4.6``: "update Xen version to 4.6.N-pre" / "… to 4.6.N" commits,
  annotated RELEASE-4.6.1, 4.6.3, 4.6.5, 4.6.6, a *lightweight*
  RELEASE-4.6.4, no RELEASE-4.6.2; after RELEASE-4.6.6 a run of XSA commits
  in every real message shape and a tip several commits past the last tag
  with no -pre bump; ``staging-4.6`` one commit ahead;
- ``stable-4.7`` whose tip *is* its last tag (RELEASE-4.7.1);
- XSA patch files as an advisory ships them, under ``<path>.patches/``.

The returned :class:`Upstream` names every interesting commit.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import git

# XSA numbers used by the fixture (real numbers, fixture contents)
XSA_ONE = 245          # "This is XSA-245." one commit, reverse-applies cleanly
XSA_LATER_TOUCHED = 246  # one commit, later commit edits the same lines: no reverse-apply
XSA_MULTI = 254        # "This is part of XSA254." x3 (typo) -> three patch files, merged
XSA_PARTIAL = 260      # upstream two commits, we queue three files -> unsure
XSA_PENDING = 300      # not upstream, applies forward -> kept
XSA_SILENT = 301       # upstream merged without naming it -> index silent, reverse-applies -> unsure
XSA_STALE = 302        # not upstream and no longer applies -> error
XSA_QEMU = 180         # qemu-only: xen.git only gets a prose mention
XSA_CVE_ONLY = 501     # CVE per commit, "Everything together is XSA-501."


@dataclass
class Upstream:
    path: Path
    url: str
    patches: Path
    commits: dict[str, str] = field(default_factory=dict)  # label -> sha

    def __getitem__(self, label: str) -> str:
        return self.commits[label]


class _Builder:
    def __init__(self, work: Path):
        self.work = work
        self.repo = git.Repo.init(work, initial_branch="master")
        self.tick = 0
        self.commits: dict[str, str] = {}

    def _env(self):
        self.tick += 1
        date = f"{1600000000 + self.tick * 3600} +0000"
        return {"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}

    def write(self, rel: str, text: str) -> None:
        p = self.work / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)

    def edit(self, rel: str, old: str, new: str) -> None:
        p = self.work / rel
        text = p.read_text()
        assert old in text, (rel, old)
        p.write_text(text.replace(old, new, 1))

    def commit(self, message: str, label: str | None = None) -> str:
        self.repo.git.add("-A")
        self.repo.git.commit("-q", "--allow-empty", "-m", message, env=self._env())
        sha = self.repo.head.commit.hexsha
        if label:
            self.commits[label] = sha
        return sha

    def version(self, v: str, label: str | None = None) -> str:
        self.edit("xen/Makefile", self._current_version(), v)
        return self.commit(f"update Xen version to {v}", label)

    def _current_version(self) -> str:
        for line in (self.work / "xen/Makefile").read_text().splitlines():
            if line.startswith("export XEN_VERSION_STRING"):
                return line.split("=", 1)[1].strip()
        raise AssertionError

    def tag(self, name: str, annotated: bool = True) -> None:
        if annotated:
            self.repo.git.tag("-a", name, "-m", f"Xen {name}", env=self._env())
        else:
            self.repo.git.tag(name)

    def branch(self, name: str, start: str = "HEAD") -> None:
        self.repo.git.checkout("-q", "-b", name, start)

    def checkout(self, name: str) -> None:
        self.repo.git.checkout("-q", name)

    def patch_of(self, sha: str, dest: Path) -> Path:
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(self.repo.git.format_patch("-1", "--stdout", sha) + "\n")
        return dest


def _c_file(name: str, n: int = 12) -> str:
    body = "\n".join(f"    step_{i}();" for i in range(n))
    return f"/* {name} */\nint {name}(void)\n{{\n{body}\n    return 0;\n}}\n"


def build_upstream(path: Path) -> Upstream:
    """Build the fixture upstream as a bare repository at *path*."""
    work = path.with_name(path.name + ".work")
    patches = path.with_name(path.name + ".patches")
    b = _Builder(work)
    b.write("COPYING", "GNU GENERAL PUBLIC LICENSE\nVersion 2\n")
    b.write("xen/Makefile", "export XEN_VERSION_STRING = 4.6.0-rc\n")
    for name in ("grant_table", "memory", "event", "sched", "vpmu", "hvm", "xenstore", "libxl", "pygrub"):
        b.write(f"xen/common/{name}.c", _c_file(name))
    b.commit("Initial import")
    b.tag("4.6.0-rc1", annotated=False)
    b.commit("x86: early work on master")
    b.tag("RELEASE-4.6.0-rc2")
    b.version("4.6.0", "4.6.0")
    b.tag("RELEASE-4.6.0")
    # master moves on
    b.branch("stable-4.6")
    b.checkout("master")
    b.version("4.7-unstable")
    b.edit("xen/common/sched.c", "step_3();", "step_3_master();")
    b.commit("sched: master-only rework")

    # stable-4.6 up to 4.6.6, without 4.6.2, 4.6.4 lightweight
    b.checkout("stable-4.6")
    b.version("4.6.1-pre")
    b.edit("xen/common/memory.c", "step_1();", "step_1_fixed();")
    b.commit("memory: fix a leak\n\nThis is XSA-150.\n", "xsa150")
    b.version("4.6.1", "4.6.1")
    b.tag("RELEASE-4.6.1")
    b.version("4.6.2-pre")
    b.commit("tools: build fix")
    b.version("4.6.3", "4.6.3")
    b.tag("RELEASE-4.6.3")
    b.version("4.6.4-pre")
    b.version("4.6.4", "4.6.4")
    b.tag("RELEASE-4.6.4", annotated=False)
    b.version("4.6.5-pre")
    b.version("4.6.5", "4.6.5")
    b.tag("RELEASE-4.6.5")
    b.version("4.6.6-pre")
    b.commit("libxl: a fix before 4.6.6", "pre-466")
    b.version("4.6.6", "4.6.6")
    b.tag("RELEASE-4.6.6")
    b.commit("docs: clarify something after 4.6.6", "pin")  # the fixture manifests pin here

    # XSA commits after the pin, every real message shape
    b.edit("xen/common/grant_table.c", "step_2();", "step_2_checked();")
    one = b.commit(textwrap.dedent(f"""\
        gnttab: check the frame before use

        A guest could pass an out of range frame.

        This is XSA-{XSA_ONE}.

        Signed-off-by: Jan Beulich <jbeulich@suse.com>
        master commit: 1111111111111111111111111111111111111111
        master date: 2020-01-01 10:00:00 +0100
        """), "xsa-one")
    b.edit("xen/common/event.c", "step_4();", "step_4_locked();")
    b.commit(f"evtchn: take the lock\n\nThis is XSA-{XSA_LATER_TOUCHED}\n", "xsa-later")  # no full stop
    multi = []
    for i, fn in enumerate(("step_5", "step_6", "step_7")):
        b.edit("xen/common/memory.c", f"{fn}();", f"{fn}_safe();")
        multi.append(b.commit(f"memory: harden {fn}\n\nThis is part of XSA{XSA_MULTI}.\n\n"
                              f"(cherry picked from commit {str(i) * 40})\n", f"xsa-multi-{i}"))
    # a later, unrelated commit reworks the lines XSA_LATER_TOUCHED changed
    b.edit("xen/common/event.c", "step_4_locked();", "step_4_locked_v2();")
    b.commit("evtchn: rework the locking helper (a followup to XSA-175 and XSA-178)", "rework")
    b.edit("xen/common/hvm.c", "step_1();", "step_1_a();")
    b.commit(f"x86/hvm: first half\n\nThis is CVE-2018-8897 / part of XSA-{XSA_PARTIAL}.\n", "xsa-partial-1")
    b.edit("xen/common/hvm.c", "step_2();", "step_2_a();")
    b.commit(f"x86/hvm: second half\n\nThis patch is part of XSA-{XSA_PARTIAL}.\n", "xsa-partial-2")
    # prose mentions only: must not count
    b.edit("xen/common/sched.c", "step_8();", "step_8_b();")
    b.commit("x86/vvmx: Fix livelock with XSA-158 fix\n\nfix XSA-158 fix properly.\n", "prose")
    # upstream merges XSA_SILENT's fix under a message that does not name it
    b.edit("xen/common/vpmu.c", "step_9();", "step_9_silent();")
    b.commit("vpmu: sanitise MSR writes", "silent")
    # qemu-only XSA: xen.git just moves the qemu revision
    b.commit(f"Config.mk: QEMU_UPSTREAM_REVISION update (XSA-{XSA_QEMU})", "qemu")
    # more real shapes, each one commit
    shapes = [
        ("CVE-2017-15597 / XSA-236", "This is CVE-2017-15597 / XSA-236."),
        ("XSA-425/CVE", "This is XSA-425/CVE-2022-42330."),
        ("part of XSA / CVE / CVE", "This is part of XSA-471 / CVE-2024-36350 / CVE-2024-36357."),
        ("CVE and CVE / XSA", "This is CVE-2021-28705 and CVE-2021-28709 / XSA-389."),
        ("CVE / part of", "This is CVE-2021-28704 and CVE-2021-28707 / part of XSA-388."),
    ]
    for i, (label, line) in enumerate(shapes):
        b.edit("xen/common/libxl.c", f"step_{i}();", f"step_{i}_x();")
        b.commit(f"libxl: shape {label}\n\nSome words.\n\n{line}\n", f"shape-{i}")
    for i, cve in enumerate(("CVE-2026-62435", "CVE-2026-62436")):
        b.edit("xen/common/pygrub.c", f"step_{i}();", f"step_{i}_y();")
        tail = f"\n\nEverything together is XSA-{XSA_CVE_ONLY}." if i == 1 else ""
        b.commit(f"pygrub: bound check {i}\n\nThis is {cve}.{tail}\n", f"cve-only-{i}")
    b.edit("xen/common/xenstore.c", "step_0();", "step_0_sq();")
    b.commit(textwrap.dedent("""\
        Merge XSA 206 fixes

            xenstore: limit transactions

            This is part of
            XSA-206.

            xenstore: limit watches

            This is part of XSA-206.
        """), "squashed")
    b.commit("tools: tidy after the XSA batch", "tip-466")  # tip: past the tag, no -pre bump

    b.branch("staging-4.6")
    b.commit("staging: not yet through osstest", "staging")

    # stable-4.7: tip == its last tag
    b.checkout("master")
    b.version("4.7.0", "4.7.0")
    b.tag("RELEASE-4.7.0")
    b.branch("stable-4.7")
    b.version("4.7.1-pre")
    b.commit("x86: a 4.7 fix")
    b.version("4.7.1", "4.7.1")
    b.tag("RELEASE-4.7.1")
    b.checkout("master")
    b.version("4.8-unstable")

    # the advisory's patch files
    b.patch_of(one, patches / f"xsa{XSA_ONE}.patch")
    b.patch_of(b.commits["xsa-later"], patches / f"xsa{XSA_LATER_TOUCHED}-4.6.patch")
    for i, sha in enumerate(multi):
        b.patch_of(sha, patches / f"xsa{XSA_MULTI}-4.6-{i + 1}.patch")
    b.patch_of(b.commits["xsa-partial-1"], patches / f"xsa{XSA_PARTIAL}-4.6" / "0001-x86-hvm-first-half.patch")
    b.patch_of(b.commits["xsa-partial-2"], patches / f"xsa{XSA_PARTIAL}-4.6" / "0002-x86-hvm-second-half.patch")
    after_two = _c_file("hvm").replace("step_1();", "step_1_a();").replace("step_2();", "step_2_a();")
    (patches / f"xsa{XSA_PARTIAL}-4.6" / "0003-x86-hvm-third-half.patch").write_text(
        _made_patch("xen/common/hvm.c", "    step_3_a();".replace("_a", ""), "    step_3_a();", context=after_two))
    b.patch_of(b.commits["silent"], patches / f"xsa{XSA_SILENT}.patch")
    # pending: touches a function nobody changes upstream
    (patches / f"xsa{XSA_PENDING}.patch").write_text(
        _made_patch("xen/common/grant_table.c", "    step_9();", "    step_9_pending();",
                    context=_c_file("grant_table")))
    # stale: its context was changed upstream (step_5 of memory.c is now step_5_safe)
    (patches / f"xsa{XSA_STALE}.patch").write_text(
        _made_patch("xen/common/memory.c", "    step_5();", "    step_5_other();", context=_c_file("memory")))
    (patches / "not-a-patch.txt").write_text("Just an advisory text, no diff.\n")

    if path.exists():
        shutil.rmtree(path)
    git.Repo.clone_from(str(work), str(path), bare=True, mirror=True).close()
    b.repo.close()
    shutil.rmtree(work)
    return Upstream(path=path, url=path.resolve().as_uri(), patches=patches, commits=dict(b.commits))


def _made_patch(rel: str, old_line: str, new_line: str, *, context: str) -> str:
    """A minimal unified diff replacing *old_line* in *context* (a file's text)."""
    import difflib

    new = context.replace(old_line + "\n", new_line + "\n", 1)
    diff = difflib.unified_diff(context.splitlines(True), new.splitlines(True), f"a/{rel}", f"b/{rel}", n=3)
    return f"diff --git a/{rel} b/{rel}\n" + "".join(diff)


def add_commit(upstream: Upstream, branch: str, message: str, edit: tuple[str, str, str] | None = None) -> str:
    """Advance *branch* of the bare fixture by one commit (for "upstream moved" tests)."""
    work = upstream.path.with_name(upstream.path.name + f".add-{os.getpid()}")
    if work.exists():
        shutil.rmtree(work)
    repo = git.Repo.clone_from(str(upstream.path), str(work), branch=branch)
    if edit:
        rel, old, new = edit
        p = work / rel
        p.write_text(p.read_text().replace(old, new, 1))
        repo.git.add("-A")
    repo.git.commit("-q", "--allow-empty", "-m", message)
    sha = repo.head.commit.hexsha
    repo.git.push("-q", "origin", f"HEAD:refs/heads/{branch}")
    repo.close()
    shutil.rmtree(work)
    return sha


# -- a meta-openxt checkout whose manifest pins the fixture upstream ------------------

REPO_ROOT = Path(__file__).resolve().parent.parent

QUEUE = {  # XSA -> patch files (names under files/xsa/), as `xsa add` would store them
    XSA_ONE: [f"xsa{XSA_ONE}.patch"],
    XSA_LATER_TOUCHED: [f"xsa{XSA_LATER_TOUCHED}-4.6.patch"],
    XSA_MULTI: [f"xsa{XSA_MULTI}-4.6-{i}.patch" for i in (1, 2, 3)],
    XSA_PARTIAL: [f"xsa{XSA_PARTIAL}-4.6/0001-x86-hvm-first-half.patch",
                  f"xsa{XSA_PARTIAL}-4.6/0002-x86-hvm-second-half.patch",
                  f"xsa{XSA_PARTIAL}-4.6/0003-x86-hvm-third-half.patch"],
    XSA_PENDING: [f"xsa{XSA_PENDING}.patch"],
    XSA_SILENT: [f"xsa{XSA_SILENT}.patch"],
}


def describe(upstream: Upstream, rev: str) -> str:
    return git.Git(str(upstream.path)).describe("--tags", "--abbrev=12", "--match", "RELEASE-*",
                                                "--exclude", "RELEASE-*-*", rev)


def copying_md5(upstream: Upstream, rev: str) -> str:
    import hashlib

    # exact bytes (git show through GitPython would drop the trailing newline)
    blob = subprocess.run(["git", "show", f"{rev}:COPYING"], cwd=upstream.path, capture_output=True, check=True).stdout
    return hashlib.md5(blob).hexdigest()


def make_checkout(root: Path, upstream: Upstream, *, xsas=(XSA_ONE, XSA_LATER_TOUCHED, XSA_MULTI, XSA_PARTIAL,
                                                        XSA_PENDING, XSA_SILENT),
                  pin_label: str = "pin", extra_xsa: dict[int, list[str]] | None = None) -> Path:
    """A git checkout: the real recipes-templates/ with the xen section pointed at *upstream*."""
    import io

    from ruamel.yaml import YAML

    from oxt import manifest as mf
    from oxt.repo import Checkout

    root.mkdir(parents=True, exist_ok=True)
    shutil.copytree(REPO_ROOT / "recipes-templates", root / "recipes-templates")
    (root / "meta-openxt" / "conf").mkdir(parents=True)
    (root / "meta-openxt" / "conf" / "layer.conf").write_text('BBFILE_COLLECTIONS += "openxt"\n')
    machines = REPO_ROOT / "meta-openxt" / "conf" / "machine"
    if machines.is_dir():
        shutil.copytree(machines, root / "meta-openxt" / "conf" / "machine")
    queue = {n: QUEUE[n] for n in xsas}
    queue.update(extra_xsa or {})
    y = YAML(typ="rt")
    y.indent(mapping=2, sequence=4, offset=2)
    y.width = 4096
    data = y.load((root / "recipes-templates" / "manifest.yml").read_text())
    pin = upstream[pin_label]
    # xen.remote stays the real https URL (the manifest accepts no file://); tests pass --remote
    data["xen"]["preferred"] = "stable-4.6"
    data["xen"]["tracks"] = [{
        "branch": "stable-4.6", "mode": "git", "srcrev": pin, "tag": describe(upstream, pin).split("-")[0] + "-" + describe(upstream, pin).split("-")[1],
        "license_md5": copying_md5(upstream, pin),
        "xsa": [{"number": n, "patches": files, "origin": f"https://xenbits.xen.org/xsa/advisory-{n}.html"}
                for n, files in sorted(queue.items())],
        "patches": [],
    }]
    buf = io.StringIO()
    y.dump(data, buf)
    (root / "recipes-templates" / "manifest.yml").write_text(buf.getvalue())
    co = Checkout(root)
    model = mf.parse_manifest(buf.getvalue(), co, exists=lambda p: True)
    xsa_dir = root / "meta-openxt" / "recipes-extended" / "xen" / "files" / "xsa"
    for n, files in queue.items():
        for f in files:
            (xsa_dir / f).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(upstream.patches / f, xsa_dir / f)
    others = [model.linux_file_path(p.file) for p in model.linux.patches]
    others += [model.linux_file_path(f) for files in model.linux.fragments.values() for f in files]
    others += [model.icbinn_patch_path(p.file) for queue in model.icbinn.patches.values() for p in queue]
    for p in others:
        if not p.exists():
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text("# fixture placeholder\n")
    try:  # rendered recipes are committed in a real checkout: render them here too
        from oxt.render import render
    except ImportError:
        render = None
    if render:
        render(co)
    repo = git.Repo.init(root, initial_branch="main")
    repo.git.add("-A")
    repo.git.commit("-q", "-m", "fixture checkout")
    repo.close()
    return root


def tree_snapshot(root: Path) -> dict[str, bytes]:
    """Every file of a checkout (outside .git) -> its bytes, to assert "unchanged"."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".git" not in p.relative_to(root).parts}
