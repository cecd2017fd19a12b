"""The manifest model: bad manifests are user errors (exit 2, file + key path +
line + what to do, nothing written); the Python API bump/xsa build on."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from oxt.errors import ConfigError
from oxt.manifest import Xsa, XenTrack, load_manifest, parse_manifest
from oxt.manifest_edit import ManifestDocument
from fixtures.checkout import MANIFEST, run_oxt, snapshot
from fixtures.recipes import GIT_REV, RICH_MANIFEST, layer_checkout, rich_checkout

SHIPPED_TRACK_SRCREV = "srcrev: 54ee7c511ae7f5cac195cce271564a1a339ae99a"


def _replace(old: str, new: str, count: int = 1):
    def edit(text: str) -> str:
        assert text.count(old) >= count, f"fixture drift: {old!r} not in the manifest"
        return text.replace(old, new, count)
    return edit


def _line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def _drop_track_block(branch: str):
    def edit(text: str) -> str:
        start = text.index(f"    - branch: {branch}")
        end = text.index("    - branch:", start + 1) if "    - branch:" in text[start + 1:] else text.index("linux:")
        return text[:start] + text[end:]
    return edit


# (id, edit of RICH_MANIFEST, expected key path, expected "what to do" words, line marker in the edited text or None)
BAD = [
    ("unknown-key", _replace("  branch: master\n", "  branch: master\n  brnch: main\n"),
     "icbinn.brnch", "did you mean 'branch'", "  brnch: main"),
    ("unknown-top-level-key", _replace("version: 1\n", "version: 1\nqemu: {}\n"),
     "qemu", "allowed keys", "qemu: {}"),
    ("wrong-type", _replace("      patches: []\nlinux:", "      patches: {}\nlinux:"),
     "xen.tracks[1].patches", "write [] for none", None),
    ("wrong-type-number-for-string", _replace("  version: 4.9.337", "  version: 4.9"),
     "linux.version", "quote it", "  version: 4.9\n"),
    ("malformed-yaml", _replace("  preferred: stable-4.19", "  preferred: [stable-4.19"),
     None, "fix the syntax", None),
    ("duplicate-yaml-key", _replace("  branch: master\n", "  branch: master\n  branch: main\n"),
     None, "fix the syntax", None),
    ("srcrev-not-40-hex", _replace(f"srcrev: {'54ee7c511ae7f5cac195cce271564a1a339ae99a'}", "srcrev: 54ee7c511ae7"),
     "xen.tracks[0].srcrev", "full lowercase commit", "srcrev: 54ee7c511ae7"),
    ("autorev", _replace("srcrev: 006cfa0946e831d799ef6f6f3bcddf45623baca0", 'srcrev: "${AUTOREV}"'),
     "icbinn.srcrev", "AUTOREV is not allowed", "${AUTOREV}"),
    ("tarball-without-sha256", _replace(
        "      sha256: 0b1f4d1b6a8f1e5b2c3d4e5f60718293a4b5c6d7e8f90112233445566778899a\n", ""),
     "xen.tracks[1]", "missing key 'sha256'", None),
    ("bad-sha256-length", _replace("sha256: 5385aaec55c766e3f462511453f5c63d7898b2d0e9ea74f22a23ebbedab0b3c6",
                                   "sha256: 5385aaec55c766e3f462511453f5c63d"),
     "linux.sha256", "sha256sums.asc", "sha256: 5385aaec55c766e3f462511453f5c63d\n"),
    ("patch-file-missing", _replace("xsa471-4.19.patch", "xsa471-4.19-missing.patch"),
     "xen.tracks[0].xsa[0].patches[0]", "add the file there", "xsa471-4.19-missing.patch"),
    ("patch-path-escapes-the-layer", _replace("- file: 0001-openxt-argo.patch", "- file: ../../../../../etc/passwd"),
     "xen.tracks[0].patches[0].file", "no '..'", "../../../../../etc/passwd"),
    ("absolute-patch-path", _replace("- file: 0001-xen-netback-fixture.patch", "- file: /etc/passwd"),
     "linux.patches[0].file", "no '..', no absolute", "- file: /etc/passwd"),
    ("duplicate-track", lambda text: text.replace("    - branch: stable-4.18", text[
        text.index("    - branch: stable-4.19"):text.index("    - branch: stable-4.18")] + "    - branch: stable-4.18"),
     "xen.tracks[1].branch", "keep one entry per branch", None),
    ("preferred-track-missing", _replace("preferred: stable-4.19", "preferred: stable-4.20"),
     "xen.preferred", "name an existing track", "preferred: stable-4.20"),
    ("bad-version-string", _replace("version: 4.18.5", "version: 4.18.5-rc1"),
     "xen.tracks[1].version", "release number", "version: 4.18.5-rc1"),
    ("tag-of-another-series", _replace("tag: RELEASE-4.19.6", "tag: RELEASE-4.18.6"),
     "xen.tracks[0].tag", "RELEASE-4.19.N", "tag: RELEASE-4.18.6"),
    ("bad-branch-name", _replace("    - branch: stable-4.18", "    - branch: staging-4.18"),
     "xen.tracks[1].branch", "stable branch", "branch: staging-4.18"),
    ("unknown-mode", _replace("      mode: tarball", "      mode: zip"),
     "xen.tracks[1].mode", "'git' (pinned commit) or 'tarball'", "mode: zip"),
    ("xsa-number-not-int", _replace("- number: 471", "- number: XSA-471"),
     "xen.tracks[0].xsa[0].number", "positive integer", "number: XSA-471"),
    ("empty-manifest", lambda text: "", None, "restore it from git", None),
    ("comment-only-manifest", lambda text: "# nothing yet\n", None, "must define version, xen, linux and icbinn", None),
    ("fragment-for-unknown-vm", _replace("    stubdomain: [stubdomain-minimal.cfg]",
                                         "    stubdomain: [stubdomain-minimal.cfg]\n    printvm: [xen-guest.cfg]"),
     "linux.fragments.printvm", "openxt-printvm", "printvm:"),
    ("fragment-not-a-cfg", _replace("common: [xen-guest.cfg]", "common: [xen-guest.config]"),
     "linux.fragments.common[0]", "*.cfg", None),
    ("icbinn-without-srcrev", _replace("  srcrev: 006cfa0946e831d799ef6f6f3bcddf45623baca0\n", ""),
     "icbinn", "missing key 'srcrev'", None),
    ("icbinn-patches-for-unknown-recipe", _replace("    python3-icbinn:", "    python-icbinn:"),
     "icbinn.patches.python-icbinn", "did you mean 'python3-icbinn'", "python-icbinn:"),
    ("purpose-missing", _replace("          purpose: keep the argo interdomain transport enabled\n", ""),
     "xen.tracks[0].patches[0]", "missing key 'purpose'", None),
    ("unsupported-schema-version", _replace("version: 1\n", "version: 2\n"),
     "version", "this oxt reads version 1", "version: 2"),
    ("compiled-with-gcc-not-x-y", _replace('    gcc: "13.3"', '    gcc: "13"'),
     "linux.compiled_with.gcc", "X.Y version that compiled", 'gcc: "13"'),
    ("compiled-with-gcc-unquoted", _replace('    gcc: "13.3"', '    gcc: 13.3'),
     "linux.compiled_with.gcc", "quote it", "gcc: 13.3"),
    ("compiled-with-without-binutils", _replace('    binutils: "2.44"\n', ""),
     "linux.compiled_with", "missing key 'binutils'", None),
    ("url-of-another-kernel", _replace("v4.x/linux-4.9.337.tar.xz", "v4.x/linux-4.9.336.tar.xz"),
     "linux.url", "update it with the version", "linux-4.9.336.tar.xz"),
]


@pytest.mark.parametrize("case", BAD, ids=[c[0] for c in BAD])
def test_bad_manifest_is_a_clear_user_error_and_writes_nothing(tmp_path, case):
    name, edit, key_path, hint, line_marker = case
    root = tmp_path / "co"
    rich_checkout(root)
    assert run_oxt(root, "render")[0] == 0  # a rendered tree, so a wrong write would show
    text = edit(RICH_MANIFEST)
    (root / MANIFEST).write_text(text)
    before = snapshot(root)
    for args in (("render",), ("render", "--check")):
        rc, out, err = run_oxt(root, *args)
        assert rc == 2, (name, args, out, err)
        assert err.startswith("oxt render: error: recipes-templates/manifest.yml"), err
        assert "Traceback" not in err
        assert hint in err, err
        if key_path:
            assert re.search(rf"(^|\s|: ){re.escape(key_path)}: ", err), err
        if line_marker:
            assert f"manifest.yml:{_line_of(text, line_marker)}" in err, err
        assert snapshot(root) == before, f"{name}: {args} changed the tree"
    assert len(BAD) >= 15


def test_yaml_errors_name_the_line_and_column(tmp_path):
    root = tmp_path / "co"
    rich_checkout(root)
    text = RICH_MANIFEST.replace("  preferred: stable-4.19", "  preferred: [stable-4.19")
    (root / MANIFEST).write_text(text)
    rc, _, err = run_oxt(root, "render")
    assert rc == 2
    assert re.search(r"manifest\.yml:\d+:\d+: malformed YAML: ", err), err


def test_several_problems_are_reported_together(tmp_path):
    root = tmp_path / "co"
    rich_checkout(root)
    text = RICH_MANIFEST.replace("xsa471-4.19.patch", "gone.patch").replace(
        "srcrev: 006cfa0946e831d799ef6f6f3bcddf45623baca0", "srcrev: AUTOREV")
    (root / MANIFEST).write_text(text)
    rc, _, err = run_oxt(root, "render")
    assert rc == 2
    assert "2 problems:" in err
    assert "xen.tracks[0].xsa[0].patches[0]" in err and "icbinn.srcrev" in err


def test_missing_manifest(tmp_path):
    root = tmp_path / "co"
    layer_checkout(root)
    (root / MANIFEST).unlink()
    before = snapshot(root)
    rc, _, err = run_oxt(root, "render")
    assert rc == 2
    assert "recipes-templates/manifest.yml: no manifest here" in err
    assert snapshot(root) == before


# -- the Python API -------------------------------------------------------------------


def test_model_of_the_rich_manifest(tmp_path):
    co = rich_checkout(tmp_path / "co")
    m = load_manifest(co)
    git, tarball = m.xen.tracks
    assert m.xen.preferred_track is git
    assert (git.series, git.release, git.release_tag, git.pv) == ("4.19", "4.19.6", "RELEASE-4.19.6", "4.19.6+stable")
    assert (tarball.mode, tarball.release, tarball.pv, tarball.release_tag) == ("tarball", "4.18.5", "4.18.5",
                                                                                 "RELEASE-4.18.5")
    assert [x.number for x in git.xsa] == [471, 470]
    assert git.xsa[1].patches == ("xsa470-4.19/0001-x86-first.patch", "xsa470-4.19/0002-x86-second.patch")
    assert m.xsa_patch_path(git.xsa[0].patches[0]).is_file()
    assert m.linux.fragments["dom0"] == ("dom0-backends.cfg",)
    assert (m.linux.compiled_with.gcc, m.linux.compiled_with.binutils) == ("13.3", "2.44")
    assert m.linux.compiled_with.line == _line_of(RICH_MANIFEST, "  compiled_with:")
    assert m.icbinn.patches["python3-icbinn"][0].purpose == "a fixture bindings patch"
    with pytest.raises(ConfigError, match="no Xen track 'stable-4.7'.*stable-4.19, stable-4.18"):
        m.xen.track("stable-4.7")
    assert load_manifest(co.root / MANIFEST).xen == m.xen  # also accepts the file path


def test_parse_manifest_sees_files_about_to_be_written(tmp_path):
    co = rich_checkout(tmp_path / "co")
    text = RICH_MANIFEST.replace("xsa471-4.19.patch", "xsa472-4.19.patch")
    with pytest.raises(ConfigError, match="xsa472-4.19.patch"):
        parse_manifest(text, co)
    staged = {co.layer / "recipes-extended/xen/files/xsa/xsa472-4.19.patch"}
    with pytest.raises(ConfigError, match="xsa471-4.19.patch: not in any track's XSA queue"):
        parse_manifest(text, co, exists=lambda p: p in staged or p.is_file())  # the old file left behind
    removed = co.layer / "recipes-extended/xen/files/xsa/xsa471-4.19.patch"
    m = parse_manifest(text, co, exists=lambda p: p in staged or (p.is_file() and p != removed))
    assert m.xen.tracks[0].xsa[0].patches == ("xsa472-4.19.patch",)


def test_document_round_trip_keeps_the_file_byte_for_byte(tmp_path):
    co = layer_checkout(tmp_path / "co")
    doc = ManifestDocument.load(co)
    assert doc.dumps() == (co.root / MANIFEST).read_text()


def test_document_edits_keep_comments_and_validate(tmp_path):
    co = rich_checkout(tmp_path / "co")
    original = (co.root / MANIFEST).read_text()
    doc = ManifestDocument.load(co)
    doc.set_git_pin("stable-4.19", srcrev="d" * 40, tag="RELEASE-4.19.7")
    doc.set_xsa_queue("stable-4.19", [Xsa(470, ("xsa470-4.19/0001-x86-first.patch",), "https://x.example/470")])
    doc.set_tarball_pin("stable-4.18", version="4.18.6", url="https://downloads.xenproject.org/release/xen/4.18.6/"
                        "xen-4.18.6.tar.gz", sha256="e" * 64)
    text = doc.dumps()
    assert text.startswith("# fixture: two Xen tracks, every queue non-empty\n")
    assert text.count("\n") < original.count("\n")  # XSA-471 gone, the rest in place
    xsa_dir = co.layer / "recipes-extended/xen/files/xsa"
    for dropped in ("xsa471-4.19.patch", "xsa470-4.19/0002-x86-second.patch"):  # as a bump deletes them
        (xsa_dir / dropped).unlink()
    m = doc.validate()
    git, tarball = m.xen.tracks
    assert (git.srcrev, git.tag, [x.number for x in git.xsa]) == ("d" * 40, "RELEASE-4.19.7", [470])
    assert (tarball.version, tarball.sha256) == ("4.18.6", "e" * 64)
    # switching modes drops the other mode's keys
    doc.set_git_pin("stable-4.18", srcrev="f" * 40, tag="RELEASE-4.18.6")
    assert doc.validate().xen.track("stable-4.18").url is None
    # adding and removing tracks
    new = XenTrack(branch="stable-4.20", mode="git", license_md5="d1a1e216f80b6d8da95fec897d0dbec9",
                   srcrev="a" * 40, tag="RELEASE-4.20.0")
    doc.add_track(new)
    doc.set_preferred("stable-4.20")
    m = doc.validate()
    assert [t.branch for t in m.xen.tracks] == ["stable-4.19", "stable-4.18", "stable-4.20"]
    assert m.xen.preferred_track.pv == "4.20.0+stable"
    doc.remove_track("stable-4.18")
    with pytest.raises(ConfigError, match="xsa470-4.18.patch: not in any track's XSA queue"):
        doc.validate()  # the removed track's XSA files would be left behind
    gone = doc.validate(exists=lambda p: p.is_file() and "4.18" not in p.name)
    assert [t.branch for t in gone.xen.tracks] == ["stable-4.19", "stable-4.20"]
    with pytest.raises(ConfigError, match="already exists"):
        doc.add_track(new)
    with pytest.raises(ConfigError, match="no Xen track 'stable-4.1'"):
        doc.set_git_pin("stable-4.1", srcrev="a" * 40, tag="RELEASE-4.1.0")
    # an invalid edit is caught before anything is written
    doc.set_git_pin("stable-4.19", srcrev="AUTOREV", tag="RELEASE-4.19.7")
    with pytest.raises(ConfigError, match="AUTOREV is not allowed"):
        doc.validate()
    assert (co.root / MANIFEST).read_text() == original


def test_shipped_manifest_is_valid_and_pins_full_commits(repo_root):
    m = load_manifest(Path(repo_root) / MANIFEST)
    assert m.xen.preferred == "stable-4.19"
    for t in m.xen.tracks:
        assert t.mode == "tarball" or re.fullmatch(r"[0-9a-f]{40}", t.srcrev)
    assert re.fullmatch(r"[0-9a-f]{40}", m.icbinn.srcrev)
    assert m.linux.version == "4.9.337"


def test_put_track_rewrites_only_what_changed(tmp_path):
    co = rich_checkout(tmp_path / "co")
    original = (co.root / MANIFEST).read_text()
    doc = ManifestDocument.load(co)
    git = doc.validate().xen.track("stable-4.19")
    doc.put_track(git)
    assert doc.dumps() == original  # an unchanged track: the same bytes
    doc.put_track(replace(git, srcrev="d" * 40, tag="RELEASE-4.19.7", describe="RELEASE-4.19.7-2-gdddddddddddd"))
    text = doc.dumps()
    assert text == original.replace(GIT_REV, "d" * 40).replace("tag: RELEASE-4.19.6", "tag: RELEASE-4.19.7")
    assert "patches: [xsa471-4.19.patch]" in text  # the unchanged XSA queue keeps its flow style


def test_put_track_appends_a_new_track_as_bump_writes_it(tmp_path):
    co = rich_checkout(tmp_path / "co")
    doc = ManifestDocument.load(co)
    doc.put_track(XenTrack(branch="stable-4.20", mode="git", license_md5="d1a1e216f80b6d8da95fec897d0dbec9",
                           srcrev="a" * 40, tag="RELEASE-4.20.0"))
    text = doc.dumps()
    assert text[text.index("    - branch: stable-4.20"):text.index("linux:")] == (
        "    - branch: stable-4.20\n"
        "      mode: git\n"
        f"      srcrev: {'a' * 40}\n"
        "      tag: RELEASE-4.20.0\n"
        "      license_md5: d1a1e216f80b6d8da95fec897d0dbec9\n"
        "      xsa: []\n"
        "      patches: []\n"
    )
    assert doc.validate().xen.find("stable-4.20").pv == "4.20.0+stable"


def test_describe_is_not_part_of_a_track(tmp_path):
    co = rich_checkout(tmp_path / "co")
    git = load_manifest(co).xen.track("stable-4.19")
    assert git.describe is None and git.tag == "RELEASE-4.19.6"
    assert replace(git, describe="RELEASE-4.19.6-3-g0123456789ab") == git
