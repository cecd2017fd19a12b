"""The series engine, the survey's bisection and refresh on a fixture upstream
where every state happens at a known commit (tests/fixtures/xen_series.py)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from fixtures import xen_series as SF
from oxt.xen import refresh
from oxt.xen.patchfile import UPSTREAM_STATUS_VALUES, PatchFileError, lint, parse, upstream_status
from oxt.xen.gnupatch import parse_report
from oxt.xen.series import SeriesEngine, SeriesPatch
from oxt.xen.survey import linear_walk, run_survey, verdict


@pytest.fixture(scope="module")
def upstream(tmp_path_factory):
    return SF.build(tmp_path_factory.mktemp("series-up") / "xen.git")


def _series(upstream, names, kind="openxt"):
    return [SeriesPatch.from_file(upstream.patches / n, kind="xsa" if n.startswith("xsa") else kind) for n in names]


def _by_name(result):
    return {r.name: r for r in result.results}


def test_everything_applies_clean_on_the_base(upstream):
    with SeriesEngine(upstream.path, _series(upstream, SF.QUEUE)) as e:
        r = e.evaluate(upstream["4.6.1"])
    assert [x.status for x in r.results] == ["clean"] * len(SF.QUEUE)
    assert r.ok


def test_every_state_at_the_tip(upstream):
    with SeriesEngine(upstream.path, _series(upstream, SF.QUEUE)) as e:
        res = _by_name(e.evaluate(upstream["tip"]))
    assert res[SF.CLEAN_PATCH].status == "clean"
    off = res[SF.OFFSET_PATCH]
    assert (off.status, off.label) == ("offset", "offset 3")
    assert [(h.file, h.offset) for h in off.offsets] == [("xen/common/offset.c", 3)]
    fz = res[SF.FUZZ_PATCH]
    assert (fz.status, fz.fuzz, fz.label) == ("fuzz", 1, "fuzz 1")
    assert [(h.file, h.number, h.line) for h in fz.fuzzed] == [("xen/common/fuzz.c", 1, 17)]
    fail = res[SF.FAIL_PATCH]
    assert fail.status == "fails"
    assert [(h.file, h.number, h.line) for h in fail.rejects] == [("xen/common/fail.c", 1, 7)]
    assert fail.detail == "xen/common/fail.c:7 hunk #1"
    assert (res[SF.CARRIED_PATCH].status, res[SF.CARRIED_PATCH].carried_by) == ("carried", "reverse-applies")
    # same Subject upstream but a different change: fails unless a Subject index is given
    assert res[SF.SUBJECT_PATCH].status == "fails"
    create = res[SF.CREATE_PATCH]
    assert create.status == "fails"
    assert [(h.file, h.reason) for h in create.rejects][0] == ("xen/common/new.c", "creates a file that already exists")


def test_subject_match_makes_a_failing_patch_carried(upstream):
    with SeriesEngine(upstream.path, _series(upstream, [SF.SUBJECT_PATCH])) as e:
        r = e.evaluate(upstream["tip"], carried_by=lambda i, res: "abc123 subject: harden the parser")
    assert (r.results[0].status, r.results[0].carried_by) == ("carried", "abc123 subject: harden the parser")


def test_order_is_the_series_order(upstream):
    # LATER_PATCH was made on top of CLEAN_PATCH: alone it fails, behind it it is clean
    with SeriesEngine(upstream.path, _series(upstream, [SF.LATER_PATCH])) as e:
        assert e.evaluate(upstream["4.6.1"]).results[0].status == "fails"
    with SeriesEngine(upstream.path, _series(upstream, [SF.CLEAN_PATCH, SF.LATER_PATCH])) as e:
        assert [x.status for x in e.evaluate(upstream["4.6.1"]).results] == ["clean", "clean"]


def test_memo_reuses_patch_runs_and_gives_the_same_results(upstream):
    patches = _series(upstream, SF.QUEUE)
    with SeriesEngine(upstream.path, patches) as memo, SeriesEngine(upstream.path, patches, memo=False) as plain:
        for label in ("4.6.1", "filler-1", "filler-2", "tip"):
            assert [x.to_dict() for x in memo.evaluate(upstream[label]).results] == \
                   [x.to_dict() for x in plain.evaluate(upstream[label]).results]
        # fillers change no queued file: 4.6.1, filler-1 and filler-2 cost one series run together
        assert memo.runs < plain.runs


def test_unknown_commit_is_a_user_error(upstream):
    from oxt.errors import OxtUserError

    with SeriesEngine(upstream.path, _series(upstream, [SF.CLEAN_PATCH])) as e:
        with pytest.raises(OxtUserError, match="no commit 'deadbeef'"):
            e.evaluate("deadbeef")


# -- GNU patch's report ---------------------------------------------------------------------

def test_parse_report_reads_every_line_shape():
    out = "\n".join([
        "patching file xen/a.c",
        "Hunk #1 succeeded at 19 (offset 2 lines).",
        "Hunk #2 succeeded at 40 with fuzz 2 (offset -1 lines).",
        "Hunk #3 FAILED at 77.",
        "1 out of 3 hunks FAILED",
        "can't find file to patch at input line 30",
        "Perhaps you used the wrong -p or --strip option?",
        "The text leading up to this was:",
        "--------------------------",
        "|diff --git a/tools/x.c b/tools/x.c",
        "|--- a/tools/x.c",
        "|+++ b/tools/x.c",
        "--------------------------",
        "The next patch would create the file xen/new.c,",
        "which already exists!  Applying it anyway.",
    ])
    offsets, fuzzed, rejects, garbage = parse_report(out)
    assert [(h.file, h.number, h.line, h.offset) for h in offsets] == [("xen/a.c", 1, 19, 2)]
    assert [(h.file, h.number, h.fuzz, h.offset) for h in fuzzed] == [("xen/a.c", 2, 2, -1)]
    assert [(h.file, h.line, h.reason) for h in rejects] == [
        ("xen/a.c", 77, "FAILED"), ("tools/x.c", None, "file to patch not found"),
        ("xen/new.c", None, "creates a file that already exists")]
    assert not garbage


# -- patch files ------------------------------------------------------------------------------

def test_parse_finds_every_name_patch_may_use():
    data = (b"Subject: [PATCH 2/3] x86: a\n b folded\n\n---\n"
            b"Index: xen-4.6.6/xen/a.c\n===\n--- xen-4.6.6.orig/xen/a.c\n+++ xen-4.6.6/xen/a.c\n@@ -1 +1 @@\n-a\n+b\n"
            b"diff --git a/t/old.c b/t/new.c\nsimilarity index 90%\nrename from t/old.c\nrename to t/new.c\n"
            b"--- a/t/old.c\n+++ b/t/new.c\n@@ -1 +1 @@\n-a\n+b\n")
    p = parse(data)
    assert p.paths == ("xen/a.c", "t/old.c", "t/new.c")
    assert [(s.old, s.new, s.hunks) for s in p.sections] == [("xen/a.c", "xen/a.c", 1), ("t/old.c", "t/new.c", 1)]
    assert p.subject == "x86: a b folded"


def test_upstream_status_follows_oe_core():
    # oe-core scarthgap meta/lib/oe/qa.py check_upstream_status
    assert UPSTREAM_STATUS_VALUES == ("Pending", "Submitted", "Denied", "Inappropriate", "Backport",
                                      "Inactive-Upstream")
    assert upstream_status(b"Upstream-Status: Backport [https://x]\n") == ("Backport", "")
    assert upstream_status(b"Upstream-Status: Inappropriate [oe specific]\n")[0] == "Inappropriate"
    value, problem = upstream_status(b"Upstream-status: pending\n")
    assert value is None and "malformed" in problem and "Upstream-status: pending" in problem
    value, problem = upstream_status(b"Subject: x\n")
    assert value is None and "no Upstream-Status" in problem


BAD = {
    "not-a-patch.txt": (b"Just some text.\n", "not a patch"),
    "empty.patch": (b"", "empty"),
    "blank.patch": (b"\n\n", "empty"),
    "binary.patch": (b"diff --git a/x.bin b/x.bin\nGIT binary patch\nliteral 3\nKcmZ?\x00\n", "binary"),
    "crlf.patch": (b"--- a/x.c\r\n+++ b/x.c\r\n@@ -1 +1 @@\r\n-a\r\n+b\r\n", "CRLF"),
    "outside.patch": (b"--- a/../etc/passwd\n+++ b/../etc/passwd\n@@ -1 +1 @@\n-a\n+b\n", "outside the source tree"),
    "absolute.patch": (b"--- /etc/passwd\n+++ /etc/passwd\n@@ -1 +1 @@\n-a\n+b\n", "outside the source tree"),
    "p0.patch": (b"--- xen/common/a.c\n+++ xen/common/a.c\n@@ -1 +1 @@\n-a\n+b\n", "-p0 patch"),
    "toplevel.patch": (b"--- x.c\n+++ y.c\n@@ -1 +1 @@\n-a\n+b\n", "no directory to strip"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_lint_refuses_bad_patch_files(tmp_path, name):
    data, message = BAD[name]
    f = tmp_path / name
    f.write_bytes(data)
    with pytest.raises(PatchFileError, match=message) as err:
        lint(f)
    assert str(f) in str(err.value)


def test_lint_requires_upstream_status_when_asked(tmp_path, upstream):
    good = upstream.patches / SF.CLEAN_PATCH
    assert lint(good, require_status=True).paths == ("xen/common/clean.c",)
    bare = tmp_path / "bare.patch"
    bare.write_text(SF.make_patch("xen/a.c", "a\n", "b\n", subject="x", status=None))
    lint(bare)  # fine as a patch
    with pytest.raises(PatchFileError, match="no Upstream-Status header"):
        lint(bare, require_status=True)
    with pytest.raises(PatchFileError, match="no such file"):
        lint(tmp_path / "missing.patch")


# -- survey -------------------------------------------------------------------------------------

def _releases(upstream):
    out = subprocess.run(["git", "-C", str(upstream.path), "for-each-ref", "--format=%(refname:short) %(objectname)",
                          "refs/tags/RELEASE-4.6.*"], capture_output=True, text=True, check=True).stdout
    tags = {}
    for line in out.splitlines():
        name, _ = line.split()
        tags[name] = subprocess.run(["git", "-C", str(upstream.path), "rev-parse", f"{name}^{{commit}}"],
                                    capture_output=True, text=True, check=True).stdout.strip()
    return tags


def test_survey_finds_the_first_breaking_commit_of_every_patch(upstream):
    with SeriesEngine(upstream.path, _series(upstream, SF.QUEUE)) as e:
        s = run_survey(e, start=upstream["4.6.1"], end=upstream["tip"], checkpoints=_releases(upstream), jobs=2)
    assert [p.label for p in s.points] == ["RELEASE-4.6.1", "RELEASE-4.6.3", "RELEASE-4.6.4", upstream["tip"]]
    counts = [p.result.counts() for p in s.points]
    assert counts[0] == {"clean": 7, "offset": 0, "fuzz": 0, "fails": 0, "carried": 0}
    assert counts[1] == {"clean": 6, "offset": 1, "fuzz": 0, "fails": 0, "carried": 0}
    assert counts[2] == {"clean": 1, "offset": 1, "fuzz": 1, "fails": 2, "carried": 2}
    expected = {SF.FUZZ_PATCH: ("fuzz", "fuzz", "fuzz: reword line 17"),
                SF.FAIL_PATCH: ("fails", "fail", "fail: rewrite line 10"),
                SF.CARRIED_PATCH: ("carried", "carried", "carried: fix the leak"),
                SF.CREATE_PATCH: ("fails", "exists", "add new.c upstream")}
    for name, (after, label, subject) in expected.items():
        t = s.first_break(name)
        assert (t.after, t.commit.sha, t.commit.subject) == (after, upstream[label], subject), name
    # Subject index on: SUBJECT_PATCH is carried upstream at the "subject" commit
    t = s.first_break(SF.SUBJECT_PATCH)
    assert (t.after, t.commit.sha) == ("carried", upstream["subject"])
    assert upstream["subject"][:12] in t.result.carried_by
    assert s.first_break(SF.OFFSET_PATCH) is None and s.first_break(SF.CLEAN_PATCH) is None
    # fillers touch no queued file: only the commits that do are candidates
    assert s.commits == SF.FILLERS + 9 and s.relevant == 6
    assert s.evaluations < s.commits


def test_survey_agrees_with_the_naive_walk(upstream):
    patches = _series(upstream, SF.QUEUE + [SF.LATER_PATCH])
    with SeriesEngine(upstream.path, patches) as e:
        s = run_survey(e, start=upstream["4.6.1"], end=upstream["tip"], checkpoints=_releases(upstream),
                       carried_subjects=False, jobs=1)
    with SeriesEngine(upstream.path, patches, memo=False) as naive:
        walk = linear_walk(naive, start=upstream["4.6.1"], end=upstream["tip"])
    for name, _ in s.patches:
        keys = [verdict(_by_name(r)[name]) for _, r in sorted(walk.items())]
        firsts = [i for i in range(1, len(keys)) if keys[i - 1] == "ok" and keys[i] != "ok"]
        t = s.first_break(name)
        assert (t.commit.index if t else None) == (firsts[0] if firsts else None), name


def test_survey_refuses_a_reversed_range(upstream):
    from oxt.errors import OxtUserError

    with SeriesEngine(upstream.path, _series(upstream, [SF.CLEAN_PATCH])) as e:
        with pytest.raises(OxtUserError, match="not an ancestor"):
            run_survey(e, start=upstream["tip"], end=upstream["4.6.1"])


# -- refresh ------------------------------------------------------------------------------------

def test_refresh_makes_offset_and_fuzz_patches_exact_keeping_headers(upstream, tmp_path):
    names = [SF.OFFSET_PATCH, SF.FUZZ_PATCH, SF.FAIL_PATCH, SF.CLEAN_PATCH]
    for n in names:
        (tmp_path / n).write_bytes((upstream.patches / n).read_bytes())
    patches = [SeriesPatch.from_file(tmp_path / n) for n in names]
    with SeriesEngine(upstream.path, patches) as e:
        engines = [("xen", e, upstream["tip"])]
        plan = refresh.plan_refresh(engines)
        assert [r.patch.name for r in plan.refreshed] == [SF.OFFSET_PATCH, SF.FUZZ_PATCH]
        assert [r.name for r in plan.failing] == [SF.FAIL_PATCH]
        assert refresh.verify(plan, engines) == []
        before_after = {r.patch.name: e.contents_around(upstream["tip"], names.index(r.patch.name))
                        for r in plan.refreshed}
    for r in plan.refreshed:  # what refresh.write hands to oxt.changeset (tested through the CLI)
        r.patch.path.write_bytes(r.new_data)
    assert (tmp_path / SF.FAIL_PATCH).read_bytes() == (upstream.patches / SF.FAIL_PATCH).read_bytes()
    for n in (SF.OFFSET_PATCH, SF.FUZZ_PATCH):
        old, new = (upstream.patches / n).read_text(), (tmp_path / n).read_text()
        head = old.split("diff --git", 1)[0]
        assert new.startswith(head)  # From, Subject, Upstream-Status, Signed-off-by kept byte for byte
        assert "Upstream-Status: Pending" in new and new.endswith("-- \n2.39.5\n")
    refreshed = [SeriesPatch.from_file(tmp_path / n) for n in names]
    with SeriesEngine(upstream.path, refreshed) as e:
        res = _by_name(e.evaluate(upstream["tip"]))
        assert (res[SF.OFFSET_PATCH].status, res[SF.FUZZ_PATCH].status) == ("clean", "clean")
        # the same change as before: the files after each patch are identical
        for n, (before, after) in before_after.items():
            assert e.contents_around(upstream["tip"], names.index(n)) == (before, after)


def test_file_diff_marks_a_missing_final_newline():
    d = refresh.file_diff("x/a.c", b"one\ntwo", b"one\n2\n")
    assert "-two\n\\ No newline at end of file\n+2\n" in d
    created = refresh.file_diff("x/n.c", None, b"new\n")
    assert created.startswith("diff --git a/x/n.c b/x/n.c\nnew file mode 100644\n--- /dev/null\n+++ b/x/n.c\n")


def test_patch_from_a_path_keeps_its_path(upstream):
    p = SeriesPatch.from_file(upstream.patches / SF.CLEAN_PATCH, kind="xsa")
    assert (p.name, p.kind, p.path) == (SF.CLEAN_PATCH, "xsa", Path(upstream.patches / SF.CLEAN_PATCH))
