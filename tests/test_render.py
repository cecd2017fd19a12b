"""oxt render / render --check: what the rendered recipes say (read back with a
bitbake-syntax parser), determinism, drift detection, ownership of files.

Every test works on a copy of the layer and templates under tmp_path."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from fixtures.checkout import MANIFEST, REPO_ROOT, run_oxt, snapshot
from fixtures.recipes import GIT_REV, OLD_TARBALL_SHA, Recipe, layer_checkout, rich_checkout
from oxt.manifest import load_manifest
from oxt.render import HEADER_PREFIX, outputs, plan_render, render

LAYER = Path("meta-openxt")
BSP = Path("meta-openxt-bsp")
XEN = LAYER / "recipes-extended/xen"
LINUX = BSP / "recipes-kernel/linux/linux-openxt_4.9.bb"
ICBINN = LAYER / "recipes-support/icbinn"
VERSIONS = LAYER / "conf/distro/include/openxt-versions.inc"

RENDERED_SHIPPED = {
    XEN / "xen_4.19.bb",
    XEN / "xen-tools_4.19.bb",
    XEN / "xen-libxenstore_4.19.bb",
    LINUX,
    ICBINN / "libicbinn_git.bb",
    ICBINN / "libicbinn-resolved_git.bb",
    ICBINN / "python3-icbinn_git.bb",
    VERSIONS,
}


@pytest.fixture
def rich(tmp_path):
    root = tmp_path / "co"
    rich_checkout(root)
    rc, out, err = run_oxt(root, "render")
    assert rc == 0, err
    return root


# -- the shipped manifest ------------------------------------------------------


def test_committed_recipes_match_the_manifest():
    """`oxt render --check` is clean on the repository itself (CI runs it too)."""
    rc, out, err = run_oxt(REPO_ROOT, "render", "--check")
    assert rc == 0, out + err
    assert "8 rendered files match" in out


def test_shipped_pins_are_full_commits_and_never_autorev():
    for rel in RENDERED_SHIPPED:
        text = (REPO_ROOT / rel).read_text()
        assert "AUTOREV" not in text
        for rev in re.findall(r'^SRCREV\w*\s*=\s*"([^"]*)"', text, re.M):
            assert re.fullmatch(r"[0-9a-f]{40}", rev), (rel, rev)


def test_rendered_files_carry_the_one_line_header(tmp_path):
    co = layer_checkout(tmp_path / "co")
    for rel in RENDERED_SHIPPED:
        first, second = (co.root / rel).read_text().splitlines()[:2]
        assert first.startswith(HEADER_PREFIX)
        assert "recipes-templates/manifest.yml" in first and "edit the manifest/template" in first
        assert not second.startswith(HEADER_PREFIX)


def test_shipped_xen_kernel_icbinn_values(tmp_path):
    co = layer_checkout(tmp_path / "co")
    xen = Recipe.parse(co.root / XEN / "xen_4.19.bb")
    assert xen.value("SRCREV") == GIT_REV
    assert xen.expand("${PV}") == "4.19.6+stable"
    assert xen.value("XEN_BRANCH") == "stable-4.19"
    assert xen.words("SRC_URI")[0] == "git://xenbits.xen.org/git-http/xen.git;protocol=https;branch=${XEN_BRANCH}"
    assert xen.requires() == ["recipes-extended/xen/xen.inc", "recipes-extended/xen/xen-hypervisor.inc"]
    assert not xen.has("DEFAULT_PREFERENCE")
    tools = Recipe.parse(co.root / XEN / "xen-tools_4.19.bb")
    assert tools.requires()[-1] == "recipes-extended/xen/xen-tools.inc"
    # OpenXT's queue (both recipes): Xen with tboot support, for dom0's measured launch
    tboot = "file://openxt/0001-x86-defconfig-build-tboot-support.patch"
    assert tools.words("SRC_URI")[1:] == ["file://0001-python-pygrub-pass-DISTUTILS-xen-4.19.patch", tboot]
    assert xen.words("SRC_URI")[-1] == tboot

    linux = Recipe.parse(co.root / LINUX)
    assert linux.value("LINUX_VERSION") == "4.9.337"
    assert linux.words("SRC_URI")[0] == "https://cdn.kernel.org/pub/linux/kernel/v4.x/linux-4.9.337.tar.xz"
    assert linux.flag("SRC_URI", "sha256sum") == "5385aaec55c766e3f462511453f5c63d7898b2d0e9ea74f22a23ebbedab0b3c6"
    assert linux.value("LIC_FILES_CHKSUM") == "file://COPYING;md5=d7810fab7487fb0aad327b76f1be7cd7"

    versions = Recipe.parse(co.root / VERSIONS)
    assert versions.value("PREFERRED_VERSION_xen") == "4.19.6+stable"
    assert versions.value("PREFERRED_VERSION_xen-tools") == "4.19.6+stable"
    # oelint-parser does not read names with '/': check the line itself
    assert 'PREFERRED_PROVIDER_virtual/kernel = "linux-openxt"\n' in (co.root / VERSIONS).read_text()
    assert versions.value("PREFERRED_VERSION_linux-openxt") == "4.9.337"


# -- every queue and mode (fixture manifest) --------------------------------------


def test_xen_git_track_src_uri_puts_xsa_patches_first(rich):
    xen = Recipe.parse(rich / XEN / "xen_4.19.bb")
    assert xen.value("SRCREV") == GIT_REV
    assert xen.value("XEN_REL") == "4.19.6"
    assert xen.expand("${PV}") == "4.19.6+stable"
    assert xen.value("S") == "${WORKDIR}/git"
    assert xen.words("SRC_URI") == [
        "git://xenbits.xen.org/git-http/xen.git;protocol=https;branch=${XEN_BRANCH}",
        # XSA queue first, in manifest order (471 before 470), files in order
        "file://xsa/xsa471-4.19.patch",
        "file://xsa/xsa470-4.19/0001-x86-first.patch",
        "file://xsa/xsa470-4.19/0002-x86-second.patch",
        # then meta-virtualization's build fix, then the OpenXT queue
        "file://0001-menuconfig-mconf-cfg-Allow-specification-of-ncurses-location.patch",
        "file://openxt/0001-openxt-argo.patch",
    ]
    assert xen.value("LIC_FILES_CHKSUM") == "file://COPYING;md5=d1a1e216f80b6d8da95fec897d0dbec9"
    text = (rich / XEN / "xen_4.19.bb").read_text()
    assert "# tag: RELEASE-4.19.6\n" in text
    assert "#   XSA-471: https://xenbits.xen.org/xsa/advisory-471.html" in text
    assert "#   openxt/0001-openxt-argo.patch: keep the argo interdomain transport enabled" in text
    # meta-virtualization's patch directory is searched: the one beside its xen.inc
    assert xen.assignments("FILESEXTRAPATHS:prepend")[0][0] == ":="
    assert ("FILESEXTRAPATHS:prepend := \"${@os.path.dirname(bb.utils.which(d.getVar('BBPATH'), "
            "'recipes-extended/xen/xen.inc'))}/files:\"") in text


def test_xen_tarball_track(rich):
    for name, inc in (("xen_4.18.bb", "xen-hypervisor.inc"), ("xen-tools_4.18.bb", "xen-tools.inc")):
        r = Recipe.parse(rich / XEN / name)
        assert not r.has("SRCREV")
        assert r.words("SRC_URI") == [
            "https://downloads.xenproject.org/release/xen/4.18.5/xen-4.18.5.tar.gz",
            "file://xsa/xsa470-4.18.patch",
        ]
        assert r.flag("SRC_URI", "sha256sum") == OLD_TARBALL_SHA
        assert r.expand("${PV}") == "4.18.5"
        assert r.expand("${S}") == "${WORKDIR}/xen-4.18.5"
        assert r.value("XEN_BRANCH") == "stable-4.18"
        # not the preferred track: never picked by default
        assert r.value("DEFAULT_PREFERENCE") == "-1"
        assert not r.has("FILESEXTRAPATHS:prepend")  # no meta-virtualization patches named
        assert r.requires()[-1] == f"recipes-extended/xen/{inc}"


def test_preferred_version_follows_the_preferred_track(rich):
    text = (rich / MANIFEST).read_text().replace("preferred: stable-4.19", "preferred: stable-4.18")
    (rich / MANIFEST).write_text(text)
    rc, out, err = run_oxt(rich, "render")
    assert rc == 0, err
    versions = Recipe.parse(rich / VERSIONS)
    assert versions.value("PREFERRED_VERSION_xen") == "4.18.5"
    assert versions.value("PREFERRED_VERSION_xen-tools") == "4.18.5"
    assert Recipe.parse(rich / XEN / "xen_4.19.bb").value("DEFAULT_PREFERENCE") == "-1"
    assert not Recipe.parse(rich / XEN / "xen_4.18.bb").has("DEFAULT_PREFERENCE")


def test_linux_fragments_per_machine(rich):
    linux = Recipe.parse(rich / LINUX)
    assert linux.words("SRC_URI") == [
        "https://cdn.kernel.org/pub/linux/kernel/v4.x/linux-4.9.337.tar.xz",
        "file://0001-xen-netback-fixture.patch",
        "file://xen-guest.cfg",
    ]
    assert linux.flag("SRC_URI", "sha256sum") == "5385aaec55c766e3f462511453f5c63d7898b2d0e9ea74f22a23ebbedab0b3c6"
    per_machine = {
        "dom0": ["file://dom0-backends.cfg"],
        "ndvm": ["file://ndvm-network.cfg"],
        "uivm": ["file://uivm-frontends.cfg"],
        "stubdomain": ["file://stubdomain-minimal.cfg"],
    }
    for vm, entries in per_machine.items():
        assert linux.assignments(f"SRC_URI:append:openxt-{vm}") == [("=", " ".join(entries))]
    assert not linux.has("SRC_URI:append:openxt-syncvm")  # common fragments only
    assert linux.value("KBUILD_DEFCONFIG") == "x86_64_defconfig"
    assert linux.value("KCONFIG_MODE") == "alldefconfig"
    assert linux.expand("${PV}") == "4.9.337"
    assert linux.expand("${S}") == "${WORKDIR}/linux-4.9.337"
    assert "inherit kernel kernel-yocto" in (rich / LINUX).read_text()


def test_linux_fragments_are_real_kconfig_lines():
    for cfg in (REPO_ROOT / "meta-openxt-bsp/recipes-kernel/linux/linux-openxt").glob("*.cfg"):
        lines = [ln for ln in cfg.read_text().splitlines() if ln.strip()]
        options = [ln for ln in lines if not ln.startswith("# ") or " is not set" in ln]
        assert options, cfg
        for ln in options:
            assert re.fullmatch(r"CONFIG_[A-Z0-9_]+=(y|m|\d+|\".*\")|# CONFIG_[A-Z0-9_]+ is not set", ln), (cfg, ln)


def test_icbinn_recipes(rich):
    expected_patches = {
        "libicbinn": ["file://0001-client-declare-the-shared-connection-extern.patch", "file://icbinn-server.service",
                      "file://icbinn-server.socket"],
        "libicbinn-resolved": ["file://0001-resolved-make-libargo-optional.patch"],
        "python3-icbinn": ["file://0001-pyicbinn-fixture.patch"],
    }
    subdirs = {"libicbinn": "libicbinn", "libicbinn-resolved": "libicbinn_resolved", "python3-icbinn": "pyicbinn"}
    for recipe, extra in expected_patches.items():
        r = Recipe.parse(rich / ICBINN / f"{recipe}_git.bb")
        assert r.value("SRCREV") == "006cfa0946e831d799ef6f6f3bcddf45623baca0"
        assert r.words("SRC_URI") == ["git://github.com/OpenXT/icbinn.git;protocol=https;branch=master", *extra]
        assert r.value("LIC_FILES_CHKSUM") == "file://../COPYING;md5=321bf41f280cf805086dd5a720b37785"
        assert r.value("S") == f"${{WORKDIR}}/git/{subdirs[recipe]}"
        assert r.value("PV") == "1.0.0+git"
    lib = Recipe.parse(rich / ICBINN / "libicbinn_git.bb")
    # socket-activated: the socket unit decides where icbinn listens
    assert lib.value("SYSTEMD_SERVICE:${PN}-server") == "icbinn-server.socket"
    assert lib.value("ICBINN_LISTEN_ADDRESS") == "127.0.0.1"
    assert "${bindir}/icbinn_svc" in lib.value("FILES:${PN}-server")
    assert lib.value("FILES:${PN}-client") == "${bindir}/icbinn_ftp"
    assert "rpcsvc-proto-native" in lib.words("DEPENDS") and "libtirpc" in lib.words("DEPENDS")


# -- determinism, --check ---------------------------------------------------------


def test_render_is_deterministic(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for root in (a, b):
        rich_checkout(root)
        assert run_oxt(root, "render")[0] == 0
    assert snapshot(a / "meta-openxt", mtimes=False) == snapshot(b / "meta-openxt", mtimes=False)
    first = snapshot(a / "meta-openxt")
    rc, out, _ = run_oxt(a, "render")
    assert rc == 0 and out.startswith("created 0, updated 0, deleted 0, unchanged 11")
    assert snapshot(a / "meta-openxt") == first


def test_check_is_clean_after_render_and_writes_nothing(rich):
    before = snapshot(rich)
    rc, out, err = run_oxt(rich, "render", "--check")
    assert (rc, err) == (0, "")
    assert "11 rendered files match the manifest" in out
    assert snapshot(rich) == before


def test_check_catches_a_hand_edit(rich):
    path = rich / XEN / "xen_4.19.bb"
    path.write_text(path.read_text().replace(GIT_REV, "1" * 40))
    before = snapshot(rich)
    rc, out, err = run_oxt(rich, "render", "--check")
    assert rc == 1
    assert "--- a/meta-openxt/recipes-extended/xen/xen_4.19.bb" in out
    assert f'-SRCREV = "{"1" * 40}"' in out and f'+SRCREV = "{GIT_REV}"' in out
    assert "run `oxt render`" in err
    assert snapshot(rich) == before


def test_check_catches_a_stale_and_a_missing_file(rich):
    stale = rich / XEN / "xen_4.17.bb"
    stale.write_text((rich / XEN / "xen_4.19.bb").read_text())  # generated header, not in the manifest
    (rich / ICBINN / "python3-icbinn_git.bb").unlink()
    rc, out, err = run_oxt(rich, "render", "--check")
    assert rc == 1
    assert "--- a/meta-openxt/recipes-extended/xen/xen_4.17.bb\n+++ /dev/null" in out
    assert "--- /dev/null\n+++ b/meta-openxt/recipes-support/icbinn/python3-icbinn_git.bb" in out
    assert "created 1, updated 0, deleted 1" in err


def test_check_catches_a_manifest_edit(rich):
    text = (rich / MANIFEST).read_text().replace("version: 4.9.337", "version: 4.9.336").replace(
        "linux-4.9.337.tar.xz", "linux-4.9.336.tar.xz")
    (rich / MANIFEST).write_text(text)
    rc, out, _ = run_oxt(rich, "render", "--check")
    assert rc == 1
    assert '-LINUX_VERSION = "4.9.337"\n+LINUX_VERSION = "4.9.336"' in out


# -- ownership: stale deletion, hand-written files ---------------------------------


def test_removing_a_track_deletes_only_its_generated_files(rich):
    keep = snapshot(rich / "meta-openxt")
    text = (rich / MANIFEST).read_text()
    start = text.index("    - branch: stable-4.18")
    end = text.index("linux:")
    (rich / MANIFEST).write_text(text[:start] + text[end:])
    # the queue file of the removed track is the user's (or `oxt bump`'s) to delete, not the renderer's:
    # left behind, no recipe would apply it, and render says so before writing anything
    stray = rich / "meta-openxt/recipes-extended/xen/files/xsa/xsa470-4.18.patch"
    rc, out, err = run_oxt(rich, "render")
    assert rc == 2 and snapshot(rich / "meta-openxt") == keep
    assert "xsa/xsa470-4.18.patch: not in any track's XSA queue (no recipe applies it)" in err
    stray.unlink()
    del keep["recipes-extended/xen/files/xsa/xsa470-4.18.patch"]
    rc, out, err = run_oxt(rich, "render")
    assert rc == 0, err
    assert "deleted   meta-openxt/recipes-extended/xen/xen_4.18.bb" in out
    assert "deleted   meta-openxt/recipes-extended/xen/xen-tools_4.18.bb" in out
    after = snapshot(rich / "meta-openxt")
    gone = set(keep) - set(after)
    assert gone == {"recipes-extended/xen/xen_4.18.bb", "recipes-extended/xen/xen-tools_4.18.bb",
                    "recipes-extended/xen/xen-libxenstore_4.18.bb"}
    changed = {k for k in after if after[k] != keep[k]}
    assert changed == set()  # stable-4.19 stays preferred: nothing else changes


def test_hand_written_files_are_never_touched(rich):
    hand = {
        rich / XEN / "xen_4.19.bbappend": 'SRC_URI += "file://local.patch"\n',
        rich / XEN / "notes.inc": "# my notes\n",
        rich / ICBINN / "libtirpc_%.bbappend": None,  # shipped hand-written bbappend
    }
    for path, text in hand.items():
        if text is not None:
            path.write_text(text)
    before = {p: p.read_bytes() for p in hand}
    # drop every track: all Xen recipes go, the hand-written files beside them stay
    text = (rich / MANIFEST).read_text().replace("preferred: stable-4.19", "preferred: stable-4.18")
    start, end = text.index("    - branch: stable-4.19"), text.index("    - branch: stable-4.18")
    (rich / MANIFEST).write_text(text[:start] + text[end:])
    for dropped in ("xsa471-4.19.patch", "xsa470-4.19/0001-x86-first.patch", "xsa470-4.19/0002-x86-second.patch"):
        (rich / XEN / "files/xsa" / dropped).unlink()  # the dropped track's XSA files, as the user deletes them
    rc, out, err = run_oxt(rich, "render")
    assert rc == 0, err
    assert {p: p.read_bytes() for p in hand} == before
    assert not (rich / XEN / "xen_4.19.bb").exists()


def test_hand_written_file_at_a_target_path_stops_the_run(rich):
    target = rich / XEN / "xen_4.19.bb"
    target.write_text("# my own xen recipe\nSRCREV = \"" + "2" * 40 + "\"\n")
    (rich / MANIFEST).write_text((rich / MANIFEST).read_text().replace(
        "license_md5: 321bf41f280cf805086dd5a720b37785", "license_md5: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"))
    before = snapshot(rich)
    for args in (("render",), ("render", "--check")):
        rc, out, err = run_oxt(rich, *args)
        assert rc == 2, (args, out, err)
        assert "meta-openxt/recipes-extended/xen/xen_4.19.bb: hand-written file" in err
        assert "never overwrites hand-written files" in err
        assert snapshot(rich) == before  # icbinn changes were NOT written either


def test_template_error_is_a_user_error_and_writes_nothing(rich):
    tpl = rich / "recipes-templates/xen.bb.j2"
    tpl.write_text(tpl.read_text().replace("{{ track.release }}", "{{ track.no_such_field }}"))
    (rich / MANIFEST).write_text((rich / MANIFEST).read_text().replace("version: 4.9.337", "version: 4.9.336")
                                 .replace("linux-4.9.337", "linux-4.9.336"))
    before = snapshot(rich)
    rc, out, err = run_oxt(rich, "render")
    assert rc == 2
    assert re.search(r"recipes-templates/xen\.bb\.j2:\d+: .*no_such_field", err), err
    assert "Traceback" not in err
    assert snapshot(rich) == before


def test_plan_api_renders_an_edited_manifest_without_writing(rich):
    """The entry point bump/xsa use: plan against an in-memory manifest, then apply."""
    from oxt.manifest import parse_manifest

    co = layer_checkout(rich.parent / "api")
    assert run_oxt(co.root, "render")[0] == 0
    text = (co.root / MANIFEST).read_text().replace(
        "srcrev: 54ee7c511ae7f5cac195cce271564a1a339ae99a", f"srcrev: {'c' * 40}").replace(
        "tag: RELEASE-4.19.6", "tag: RELEASE-4.19.7")
    before = snapshot(co.root)
    plan = plan_render(co, parse_manifest(text, co))
    assert snapshot(co.root) == before
    assert sorted(str(p) for p in plan.updated) == [
        "meta-openxt/conf/distro/include/openxt-versions.inc",
        "meta-openxt/recipes-extended/xen/xen-libxenstore_4.19.bb",
        "meta-openxt/recipes-extended/xen/xen-tools_4.19.bb",
        "meta-openxt/recipes-extended/xen/xen_4.19.bb",
    ]
    assert not plan.created and not plan.deleted
    render(co, parse_manifest(text, co))
    assert Recipe.parse(co.root / XEN / "xen_4.19.bb").value("SRCREV") == "c" * 40
    assert Recipe.parse(co.root / VERSIONS).value("PREFERRED_VERSION_xen") == "4.19.7+stable"


def test_outputs_cover_exactly_the_rendered_files(rich):
    m = load_manifest(layer_checkout(rich.parent / "o"))
    assert {str(o.path) for o in outputs(m)} == {str(p) for p in RENDERED_SHIPPED}
    generated = {str(p.relative_to(rich)) for layer in (LAYER, BSP) for p in (rich / layer).rglob("*")
                 if p.is_file() and p.read_bytes().startswith(HEADER_PREFIX.encode())}
    assert len(generated) == 11 and "meta-openxt/recipes-extended/xen/xen_4.18.bb" in generated
    assert str(LINUX) in generated  # the kernel is the BSP layer's
    assert not any("/files/" in g for g in generated)


def test_libxenstore_recipe_builds_only_the_library_from_the_track(rich):
    lib = Recipe.parse(rich / XEN / "xen-libxenstore_4.19.bb")
    tools = Recipe.parse(rich / XEN / "xen-tools_4.19.bb")
    assert lib.value("SRCREV") == tools.value("SRCREV") and lib.words("SRC_URI") == tools.words("SRC_URI")
    text = (rich / XEN / "xen-libxenstore_4.19.bb").read_text()
    assert "require recipes-extended/xen/xen-libxenstore.inc" in text and "xen-tools.inc" not in text
    inc = (REPO_ROOT / XEN / "xen-libxenstore.inc").read_text()
    assert "oe_runmake -C tools/libs/store" in inc and "python3 " not in inc.split("DEPENDS = ")[1].split("\n")[0]
    assert Recipe.parse(rich / VERSIONS).value("PREFERRED_VERSION_xen-libxenstore") == \
        Recipe.parse(rich / VERSIONS).value("PREFERRED_VERSION_xen-tools")
