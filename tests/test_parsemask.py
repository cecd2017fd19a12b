"""`oxt parsemask`: per-multiconfig masks of the upstream recipes the images do not need.

The build area (tests/fixtures/parsemask.py) is what `kas shell … -c 'python3 …/collect.py …'`
leaves behind, with upstream layers holding the cases the masks must get right
(native/nativesdk/lib32 variants, versions, providers, bbappends in upstream and
our layers). Masks are judged the way bitbake applies them: every generated
include is evaluated and searched against every collected file.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from fixtures.checkout import VMS, append, run_oxt, set_parse_mask_block, snapshot
from fixtures.parsemask import NEEDS, apply_masks, build_area, get_file_appends
from oxt.errors import ConfigError
from oxt.parsemask import INCLUDE_LINE, collect, inputs, mask, taskdata, taskgraph

PARSEMASK = Path("meta-openxt/conf/multiconfig/parsemask")


def switch_masks_on(checkout):
    """kas/openxt.yml's openxt-parse-mask block as the include line, whatever this checkout's block says."""
    set_parse_mask_block(checkout, INCLUDE_LINE)
    assert INCLUDE_LINE in (checkout / "kas" / "openxt.yml").read_text()


@pytest.fixture
def area(checkout, tmp_path):
    shutil.rmtree(checkout / PARSEMASK, ignore_errors=True)  # start from none, whatever is committed
    switch_masks_on(checkout)
    return build_area(tmp_path / "area", checkout)


def generate(area, *extra):
    rc, out, err = run_oxt(area.checkout, "parsemask", str(area.build), *extra)
    assert rc == 0, err
    return out


def visible(area, mc):
    return apply_masks(area, (area.checkout / PARSEMASK / f"{mc}.inc").read_text())


def names(files):
    return {os.path.basename(f) for f in files}


# -- the task graph ---------------------------------------------------------------------

def test_taskgraph_reads_files_variants_and_roots(tmp_path):
    dot = tmp_path / "task-depends.dot"
    dot.write_text(
        'digraph depends {\n'
        '"mc:a:img.do_build" [label="mc:a:img do_build\\n:1.0-r0\\nmc:a:/l/img.bb"]\n'
        '"mc:a:img.do_build" -> "mc:a:lib32-z.do_build"\n'
        '"mc:a:lib32-z.do_build" [label="mc:a:lib32-z do_build\\n:1.3-r0\\nmc:a:virtual:multilib:lib32:/l/x/../z_1.3.bb"]\n'
        '"mc:a:lib32-z.do_build" -> "mc:a:q-native.do_install"\n'
        '"mc:a:q-native.do_install" [label="mc:a:q-native do_install\\n:1-r0\\nmc:a:virtual:native:/l/q_1.bb"]\n'
        '"plain.do_fetch" [label="plain do_fetch\\n:1-r0\\n/l/plain.bb"]\n'
        "}\n")
    graph = taskgraph.read(dot)
    assert graph.files == {"a": {"/l/img.bb", "/l/z_1.3.bb", "/l/q_1.bb"}, "default": {"/l/plain.bb"}}
    assert graph.roots == {"a": {"img:do_build"}, "default": {"plain:do_fetch"}}
    assert graph.tasks["a"] == {"img:do_build", "lib32-z:do_build", "q-native:do_install"}


def test_taskgraph_refuses_what_is_no_graph(tmp_path):
    (tmp_path / "pn-buildlist").write_text("mc:dom0:glibc\n")
    with pytest.raises(Exception, match=r"not a task graph of `bitbake -g`.*task-depends.dot"):
        taskgraph.read(tmp_path / "pn-buildlist")
    (tmp_path / "empty.dot").write_text("digraph depends {\n}\n")
    with pytest.raises(Exception, match="has no tasks"):
        taskgraph.read(tmp_path / "empty.dot")


def _dot(path, nodes, edges):
    lines = ["digraph depends {"]
    lines += [f'"mc:a:{n}" [label="mc:a:{n.split(".")[0]} {n.split(".")[1]}\\n:1-r0\\nmc:a:/l/{n.split(".")[0]}.bb"]'
              for n in nodes]
    lines += [f'"mc:a:{x}" -> "mc:a:{y}"' for x, y in edges]
    path.write_text("\n".join([*lines, "}"]) + "\n")
    return path


def test_compare_tells_the_same_graph_from_a_different_one(tmp_path, checkout):
    nodes = ["img.do_build", "z.do_build", "z.do_compile"]
    edges = [("img.do_build", "z.do_build"), ("z.do_build", "z.do_compile")]
    unmasked = _dot(tmp_path / "u.dot", nodes, edges)
    same = _dot(tmp_path / "m.dot", list(reversed(nodes)), list(reversed(edges)))
    rc, out, err = run_oxt(checkout, "parsemask", "--compare", str(unmasked), str(same))
    assert rc == 0, err
    assert "tasks: 3 in" in out and "only in the first: 0, only in the second: 0" in out
    assert "edges: 2 and 2; only in the first: 0, only in the second: 0" in out

    lost = _dot(tmp_path / "lost.dot", nodes[:2], edges[:1])
    rc, out, err = run_oxt(checkout, "parsemask", "--compare", str(unmasked), str(lost))
    assert rc == 2
    assert "only in the first: 1, only in the second: 0" in out
    assert "only in the first: a:z:do_compile" in err and "regenerate the masks" in err

    rewired = _dot(tmp_path / "rewired.dot", nodes, [edges[0], ("img.do_build", "z.do_compile")])
    rc, out, err = run_oxt(checkout, "parsemask", "--compare", str(unmasked), str(rewired))
    assert rc == 2 and "edges: 2 and 2; only in the first: 1, only in the second: 1" in out
    assert "(in their edges only)" in err

    rc, out, err = run_oxt(checkout, "parsemask", "--compare", str(unmasked))
    assert rc == 2 and "--compare takes two task graphs" in err


# -- bitbake's task data (collect.py's document) ----------------------------------------------

def test_collect_summarises_the_targets_tree_per_multiconfig():
    tree = {"pn": {
        "mc:dom0:openxt-dom0-image": {"filename": "mc:dom0:/l/openxt-dom0-image.bb", "version": ":1.0-r0"},
        "mc:dom0:dejagnu-native": {"filename": "mc:dom0:virtual:native:/l/dejagnu_1.6.3.bb"},
        "mc:ndvm:lib32-acl": {"filename": "mc:ndvm:virtual:multilib:lib32:/l/x/../acl_2.3.2.bb"},
        "quilt-native": {"filename": "virtual:native:/l/quilt_0.67.bb"},
    }, "depends": {}}
    doc = collect.summarise(tree, ["mc:dom0:openxt-dom0-image", "mc:ndvm:img:do_populate_sdk"], "2.8.0")
    assert doc["format"] == collect.FORMAT and doc["bitbake"] == "2.8.0"
    assert list(doc["recipes"]) == ["default", "dom0", "ndvm"]
    assert doc["recipes"]["dom0"] == {"dejagnu-native": "mc:dom0:virtual:native:/l/dejagnu_1.6.3.bb",
                                      "openxt-dom0-image": "mc:dom0:/l/openxt-dom0-image.bb"}
    with pytest.raises(SystemExit, match="names no recipe"):
        collect.summarise({"pn": {}}, ["x"], "2.8.0")


def test_task_data_reads_files_variants_and_targets(tmp_path):
    tree = {"pn": {
        "mc:a:img": {"filename": "mc:a:/l/img.bb"},
        "mc:a:lib32-z": {"filename": "mc:a:virtual:multilib:lib32:/l/x/../z_1.3.bb"},
        "mc:a:q-native": {"filename": "mc:a:virtual:native:/l/q_1.bb"},
        "plain": {"filename": "/l/plain.bb"},
    }}
    path = tmp_path / "taskdata.json"
    path.write_text(json.dumps(collect.summarise(tree, ["mc:a:img", "mc:a:img:do_testimage", "plain"], "2.8")))
    reached = taskdata.read(taskdata.path_of(tmp_path))
    assert reached.files == {"a": {"/l/img.bb", "/l/z_1.3.bb", "/l/q_1.bb"}, "default": {"/l/plain.bb"}}
    assert reached.recipes["a"] == {"img", "lib32-z", "q-native"}
    assert reached.roots() == {"a": {"img:do_build", "img:do_testimage"}, "default": {"plain:do_build"}}


@pytest.mark.parametrize("name, text, message", [
    ("task-depends.dot", "digraph depends {\n}\n", r"a task graph is not enough.*collect.py"),
    ("taskdata.json", "{not json", r"not JSON"),
    ("taskdata.json", '{"format": "other 9", "recipes": {}}', r"format 'other 9', expected 'openxt-taskdata 1'"),
    ("taskdata.json", '[1, 2]', r"format 'list'"),
    ("taskdata.json", '{"format": "openxt-taskdata 1", "targets": [], "recipes": {}}', r"names no recipes"),
    ("taskdata.json", '{"format": "openxt-taskdata 1", "targets": [], "recipes": {"a": {"x": "nofile"}}}',
     r"recipe x of mc a names no recipe file"),
])
def test_task_data_refuses_what_collect_did_not_write(tmp_path, name, text, message):
    (tmp_path / name).write_text(text)
    with pytest.raises(ConfigError, match=message):
        taskdata.read(tmp_path / name)


def test_a_task_graph_is_refused_with_the_command_that_makes_task_data(area):
    (area.build / "task-depends.dot").write_text("digraph depends {\n}\n")
    err = _refused(area, str(area.build / "task-depends.dot"))
    assert "a task graph is not enough" in err and "collect.py" in err and "traceback" not in err.lower()


# -- bitbake's rules, as the mask uses them -----------------------------------------------

@pytest.mark.parametrize("append_name, recipe, expected", [
    ("linux-yocto_%.bbappend", "linux-yocto_6.6.bb", True),
    ("linux-yocto_%.bbappend", "linux-yocto-rt_6.6.bb", False),
    ("linux-yocto_6.%.bbappend", "linux-yocto_6.6.bb", True),
    ("linux-yocto_6.%.bbappend", "linux-yocto_5.15.bb", False),
    ("packagegroup-x.bbappend", "packagegroup-x.bb", True),
    ("packagegroup-x.bbappend", "packagegroup-x-extra.bb", False),
    ("initscripts_1.%.bbappend", "initscripts_1.0.bb", True),
])
def test_applies_is_bitbakes_rule(append_name, recipe, expected):
    assert mask.applies(append_name, recipe) is expected
    assert bool(get_file_appends(recipe, [append_name])) is expected


def test_keep_pattern_keeps_every_version_and_nothing_else():
    pattern = re.compile(mask.keep_pattern("recipes-bsp/grub/grub-efi_2.12.bb") + "$")
    assert pattern.match("recipes-bsp/grub/grub-efi_2.14.bb")
    assert pattern.match("recipes-bsp/grub/grub-efi.bb")
    assert not pattern.match("recipes-bsp/grub/grub_2.12.bb")
    assert not pattern.match("recipes-bsp/grub/grub-efi-native_2.12.bb")
    assert not pattern.match("recipes-bspXgrub/grub-efi_2.12.bb")  # '.'/'/' are literal
    plus = re.compile(mask.keep_pattern("recipes-gnome/gtk+/gtk+3_3.24.bb") + "$")
    assert plus.match("recipes-gnome/gtk+/gtk+3_3.24.bb") and not plus.match("recipes-gnome/gtk/gtkk3_3.24.bb")


def test_dependency_lines_pick_what_shapes_the_build():
    text = (
        'SUMMARY = "changes nothing"\n'
        'DEPENDS += "zlib \\\n    openssl"\n'
        '# RDEPENDS:${PN} = "commented out"\n'
        'RDEPENDS:${PN}-tools = "bash"\n'
        'PREFERRED_PROVIDER_virtual/kernel = "linux-openxt"\n'
        'do_image[mcdepends] = "mc:dom0:stubdomain:img:do_image_complete"\n'
        'inherit systemd\n'
        'SRCREV = "0123"\n'
        "python () {\n    d.appendVar('DEPENDS', ' foo')\n}\n"
    )
    assert inputs.dependency_lines(text) == [
        'DEPENDS += "zlib openssl"',
        'RDEPENDS:${PN}-tools = "bash"',
        'PREFERRED_PROVIDER_virtual/kernel = "linux-openxt"',
        'do_image[mcdepends] = "mc:dom0:stubdomain:img:do_image_complete"',
        "inherit systemd",
        "d.appendVar('DEPENDS', ' foo')",
    ]


# -- generating --------------------------------------------------------------------------

def test_generates_one_include_per_vm_that_keeps_exactly_what_each_needs(area):
    out = generate(area)
    for vm in VMS:
        assert re.search(rf"^{vm}\s+\d+ of 19 upstream and \d+ of \d+ own recipe files parse.*parsemask/{vm}.inc "
                         r"\(created\)", out, re.M)
    everything = set(area.all_files())
    upstream_bb = {f for f in everything if f.endswith(".bb") and "/kas-work/" in f and "/checkout/" not in f}
    ours = everything - {f for f in everything if "/kas-work/" in f and "/checkout/" not in f}
    for vm in VMS:
        seen = set(visible(area, vm))
        # our layers are masked alike: this VM's image and what its task data reaches stay
        our_needed = {f"openxt-{vm}-image.bb"} | {w.rsplit("/", 1)[1] for _, _, w in NEEDS[vm] if w.startswith("ours:")}
        assert names({f for f in ours & seen if f.endswith(".bb")}) == our_needed, vm
        needed = {where.rsplit("/", 1)[1] for _, _, where in NEEDS[vm] if not where.startswith("ours:")}
        assert needed <= names(seen), vm
        # hidden: every upstream recipe no task of this VM comes from, but foo_2.0 (other version of a needed one)
        hidden = names(upstream_bb - seen)
        expected_kept = needed | ({"foo_2.0.bb"} if vm == "dom0" else set())
        assert names(upstream_bb) - hidden == expected_kept, vm
        # no bbappend bitbake collects is left without its recipe (bitbake would stop on it)
        recipes = [f for f in seen if f.endswith(".bb")]
        for app in (f for f in seen if f.endswith(".bbappend")):
            assert any(get_file_appends(r, [app]) for r in recipes) or app.endswith("libtirpc_%.bbappend"), (vm, app)


def test_variants_bbappends_and_providers_survive(area):
    generate(area)
    ndvm, dom0, uivm, syncvm = (names(visible(area, vm)) for vm in ("ndvm", "dom0", "uivm", "syncvm"))
    assert "acl_2.3.2.bb" in ndvm and "acl_2.3.2.bb" not in dom0          # lib32-acl: multilib variant of acl
    assert "quilt_0.67.bb" in dom0 and "quilt_0.67.bb" in syncvm           # quilt-native / nativesdk-quilt
    assert "grub-efi_%.bbappend" in dom0 and "grub-efi_%.bbappend" not in uivm   # our bbappend follows its recipe
    assert "glibc_%.bbappend" in uivm                                       # upstream bbappend of a kept recipe
    for vm_files in (ndvm, dom0, uivm, syncvm):
        assert not {"linux-yocto_%.bbappend", "linux-yocto_6.%.bbappend", "linux-yocto_6.6.bb"} & vm_files
        assert "linux-yocto-rt_6.6.bb" not in vm_files
    assert "mesa_24.0.5.bb" in uivm and "mesa-gl_24.0.5.bb" not in uivm     # the chosen provider stays
    assert {"foo_1.0.bb", "foo_2.0.bb"} <= dom0                               # every version stays a candidate


def test_include_is_deterministic_and_records_its_inputs(area, checkout):
    generate(area)
    first = {vm: (checkout / PARSEMASK / f"{vm}.inc").read_text() for vm in VMS}
    out = generate(area)
    assert out.count("(unchanged)") == len(VMS)
    text = first["dom0"]
    assert text.startswith("# Generated by oxt parsemask") and "generated — run `oxt parsemask BUILD_DIR`" in text.splitlines()[0]
    assert "#   openxt-dom0-image:do_build" in text and "from bitbake's task data" in text
    assert str(area.work) not in text and str(checkout) not in text  # no machine-specific path
    assert inputs.Inputs.parse(text) is not None
    assert 'INHERIT += "openxt_parsemask"' in text
    assert 'BBFILE_PATTERN_IGNORE_EMPTY_meta-python = "1"' in text     # a layer with nothing kept: no warning
    rc, out, err = run_oxt(checkout, "check")
    assert rc == 0, err
    rc, out, err = run_oxt(checkout, "parsemask", "--check")
    assert rc == 0 and "match the checkout" in out, err


def test_several_task_data_files_are_merged(area, tmp_path):
    generate(area)
    other = tmp_path / "second"
    shutil.copytree(area.build, other / "build")
    # the same layers as seen from the second build directory
    (other / "build" / "conf" / "bblayers.conf").write_text(
        (area.build / "conf" / "bblayers.conf").read_text().replace("${TOPDIR}", str(area.build)))
    needs = {vm: list(items) for vm, items in NEEDS.items()}
    needs["stubdomain"].append(("bar.do_build", "", "meta-openembedded/meta-oe/recipes-support/bar/bar_1.0.bb"))
    data = other / "build" / "taskdata.json"
    from fixtures.parsemask import task_data
    data.write_text(task_data(area, needs))
    generate(area, str(data))
    assert "bar_1.0.bb" in names(visible(area, "stubdomain"))
    assert "seabios_1.16.0.bb" in names(visible(area, "stubdomain"))


def test_stale_includes_of_gone_multiconfigs_are_deleted(area, checkout):
    stray = checkout / PARSEMASK / "oldvm.inc"
    generate(area)
    stray.write_text((checkout / PARSEMASK / "dom0.inc").read_text())
    rc, _, err = run_oxt(checkout, "check")
    assert rc == 2 and "parsemask/oldvm.inc: is the parse mask of a multiconfig the build no longer has" in err
    out = generate(area)
    assert "oldvm.inc (deleted)" in out and not stray.exists()


# -- refusing bad input, writing nothing -----------------------------------------------

def _refused(area, *args):
    before = snapshot(area.checkout)
    rc, out, err = run_oxt(area.checkout, "parsemask", *(args or (str(area.build),)))
    assert rc == 2, (out, err)
    assert snapshot(area.checkout) == before
    return err


def test_task_data_made_with_masks_on_is_refused(area):
    (area.build / "conf" / "local.conf").write_text(f"# openxt-parse-mask\n{INCLUDE_LINE}\n")
    assert "was made with the parse masks on" in _refused(area)


def test_task_data_of_other_upstream_commit_is_refused(area):
    repo = area.upstream("meta-openembedded")
    (repo / "meta-oe/recipes-support/bar/bar_1.1.bb").write_text('SUMMARY = "new"\n')
    subprocess.run(["git", "-C", str(repo), "add", "-A"], check=True)
    subprocess.run(["git", "-C", str(repo), "commit", "-qm", "bump"], check=True)
    err = _refused(area)
    assert re.search(r"repository meta-openembedded was at [0-9a-f]{12} when it was made, but the kas files pin "
                     + area.commits["meta-openembedded"][:12], err)


def test_task_data_from_other_layer_content_is_refused(area):
    image = area.checkout / "meta-openxt/recipes-images/images/openxt-uivm-image.bb"
    append(image, 'IMAGE_INSTALL += "strace"\n')
    # the build's copy of our layers is the checkout itself here: change the checkout after the graph
    # by pointing the build at a copy that lacks the change
    copy = area.work / "old-checkout"
    shutil.copytree(area.checkout, copy, ignore=shutil.ignore_patterns(".git"))
    (copy / "meta-openxt/recipes-images/images/openxt-uivm-image.bb").write_text(
        image.read_text().replace('IMAGE_INSTALL += "strace"\n', ""))
    conf = area.build / "conf" / "bblayers.conf"
    rel = os.path.relpath(area.checkout, area.build)
    conf.write_text(conf.read_text().replace(f"${{TOPDIR}}/{rel}/", "${TOPDIR}/../old-checkout/"))
    data = area.data.read_text().replace(f"{area.build}/{rel}/", f"{area.build}/../old-checkout/")
    area.data.write_text(data)
    assert "was made from a copy of our layers whose recipes or dependency lines differ" in _refused(area)


def test_task_data_without_every_image_is_refused(area):
    area.write_data({vm: items for vm, items in NEEDS.items() if vm != "syncvm"})
    assert "no recipe openxt-syncvm-image of mc syncvm in the task data" in _refused(area)


def test_recipe_outside_the_layers_is_refused(area):
    area.write_data(extra={"mc:dom0:x": "mc:dom0:/elsewhere/x_1.bb"})
    assert "recipe /elsewhere/x_1.bb of mc dom0 is in no layer" in _refused(area)


def test_no_task_data_and_missing_build_dir_are_user_errors(area, tmp_path):
    assert "no task data given" in _refused(area, "--dry-run")
    assert "cannot read the task data" in _refused(area, str(tmp_path / "nowhere" / "taskdata.json"))
    assert "cannot read the task data" in _refused(area, str(tmp_path))


def test_dry_run_writes_nothing(area):
    before = snapshot(area.checkout)
    out = generate(area, "--dry-run")
    assert "(would write)" in out and snapshot(area.checkout) == before


# -- oxt check keeps them honest ---------------------------------------------------------

@pytest.fixture
def generated(area):
    generate(area)
    return area


def _check_errors(checkout):
    rc, out, err = run_oxt(checkout, "check")
    assert rc == 2, out
    return err


def test_check_reports_changed_image_contents(generated):
    append(generated.checkout / "meta-openxt/recipes-images/images/openxt-uivm-image.bb",
           'IMAGE_INSTALL += "strace"\n')
    err = _check_errors(generated.checkout)
    assert re.search(r"parsemask/dom0.inc: was generated from other layers than the checkout has now", err)
    assert "oxt parsemask BUILD_DIR" in err


def test_check_ignores_changes_that_decide_nothing(generated):
    recipe = generated.checkout / "meta-openxt/recipes-images/images/openxt-uivm-image.bb"
    append(recipe, '# a comment\nSUMMARY = "reworded"\n')
    rc, _, err = run_oxt(generated.checkout, "check")
    assert rc == 0, err


def test_check_reports_changed_pins(generated):
    lock = generated.checkout / "kas" / "openxt.lock.yml"
    lock.write_text(lock.read_text().replace(generated.commits["openembedded-core"], "ab" * 20))
    assert "was generated from other pins than the checkout has now" in _check_errors(generated.checkout)


def test_check_reports_changed_kas_contents(generated):
    frag = generated.checkout / "kas" / "testimage.yml"
    frag.write_text(frag.read_text().replace('ssh-server-dropbear', 'ssh-server-openssh'))
    assert "was generated from other kas than the checkout has now" in _check_errors(generated.checkout)


def test_check_ignores_fragments_that_drop_the_masks(generated):
    frag = generated.checkout / "kas" / "debug.yml"
    frag.write_text(frag.read_text().replace("tools-debug", "tools-debug tools-profile"))
    rc, _, err = run_oxt(generated.checkout, "check")
    assert rc == 0, err


def test_check_reports_hand_edits_and_missing_files(generated):
    inc = generated.checkout / PARSEMASK / "uivm.inc"
    inc.write_text(inc.read_text().replace("bar(?:_[^/]*)?", "baz(?:_[^/]*)?"))
    (generated.checkout / PARSEMASK / "ndvm.inc").unlink()
    err = _check_errors(generated.checkout)
    assert "parsemask/uivm.inc: was edited by hand" in err
    assert "parsemask/ndvm.inc: missing: the kas files switch the parse mask of mc ndvm on" in err
    rc, _, err = run_oxt(generated.checkout, "parsemask", "--check")
    assert rc == 2 and "uivm.inc: was edited by hand" in err


def test_nomask_composition_needs_no_masks(checkout):
    shutil.rmtree(checkout / PARSEMASK, ignore_errors=True)
    switch_masks_on(checkout)
    rc, _, err = run_oxt(checkout, "check", "--kas", "kas/openxt.yml")
    assert rc == 2 and "missing: the kas files switch the parse mask of mc dom0 on" in err
    rc, _, err = run_oxt(checkout, "check", "--kas", "kas/openxt.yml:kas/nomask.yml")
    assert rc == 0, err
    rc, _, err = run_oxt(checkout, "check", "--kas", "kas/openxt.yml:kas/debug.yml")
    assert rc == 0, err


def test_switching_the_masks_on_keeps_their_kas_inputs(checkout):
    # The masks are generated with the switch off (before they exist) or on (a
    # regeneration): the main kas file must count the same either way.
    off = inputs.kas_items(checkout / "kas")
    assert any(item.startswith("openxt.yml ") for item in off)
    switch_masks_on(checkout)
    assert inputs.kas_items(checkout / "kas") == off


def test_build_files_follow_bbfiles_dynamic_with_the_builds_collections(tmp_path):
    from oxt.layerinfo import Layer
    from oxt.parsemask.buildconf import _collected

    layer = tmp_path / "meta-x"
    (layer / "conf").mkdir(parents=True)
    (layer / "conf" / "layer.conf").write_text(
        'BBFILES += "${LAYERDIR}/recipes/*.bb"\nBBFILE_COLLECTIONS += "x"\n'
        'BBFILES_DYNAMIC += "!other:${LAYERDIR}/without-other/*.bb other:${LAYERDIR}/with-other/*.bb"\n')
    for sub in ("recipes", "without-other", "with-other"):
        (layer / sub).mkdir()
        (layer / sub / f"{sub}_1.0.bb").write_text("")
    names = lambda files: sorted(Path(f).parent.name for f in files)  # noqa: E731
    assert names(_collected(Layer(layer, (layer,)), {"x"})) == ["recipes", "without-other"]
    # "other" is in the build though the layer alone cannot know it: bitbake drops the "!other" entry
    assert names(_collected(Layer(layer, (layer,)), {"x", "other"})) == ["recipes", "with-other"]


def test_the_committed_masks_are_on_and_match_the_checkout(tmp_path):
    """What we ship: kas/openxt.yml includes the masks, one per multiconfig, made from these inputs."""
    from fixtures.checkout import copy_checkout

    shipped = copy_checkout(tmp_path / "shipped", parse_masks=True)
    assert INCLUDE_LINE in (shipped / "kas" / "openxt.yml").read_text()
    assert sorted(p.stem for p in (shipped / PARSEMASK).glob("*.inc")) == sorted(VMS)
    rc, out, err = run_oxt(shipped, "parsemask", "--check")
    assert rc == 0 and f"the masks of {len(VMS)} multiconfigs match the checkout" in out, err
    # and the test checkouts have them off, so editing a recipe there is not a stale mask
    append(shipped / "meta-openxt/recipes-images/images/openxt-uivm-image.bb", 'IMAGE_INSTALL += "strace"\n')
    rc, _, err = run_oxt(shipped, "parsemask", "--check")
    assert rc == 2 and "parsemask/uivm.inc: was generated from other layers" in err


def test_every_regeneration_recipe_names_the_same_targets():
    """`make parse-masks`, the README's and `oxt parsemask --help`'s commands and the benchmark ask for one target list."""
    from fixtures.checkout import REPO_ROOT

    def targets(text: str) -> list[str]:
        return sorted(set(re.findall(r"\bmc:[a-z0-9]+:openxt-[a-z0-9]+-image(?::do_[a-z_]+)?", text)))

    make = subprocess.run(["make", "-s", "-n", "parse-masks", "VENV=/nonexistent"], cwd=REPO_ROOT,
                          capture_output=True, text=True, check=False).stdout
    collect_line = next(line for line in make.splitlines() if "collect.py" in line)
    readme = (REPO_ROOT / "README.md").read_text()
    readme_cmd = readme[readme.index("python3 $PWD/scripts/oxt/parsemask/collect.py"):][:600].split("```")[0]
    help_text = (REPO_ROOT / "scripts/oxt/plugins/parsemask.py").read_text()
    help_cmd = help_text[help_text.index("collect.py \\\\"):][:600].split("oxt parsemask build")[0]
    bench = (REPO_ROOT / "benchmarks/parse_mask.py").read_text()
    bench_targets = bench[bench.index("TARGETS = "):bench.index("])", bench.index("TARGETS = "))]
    expected = targets(collect_line)
    assert len(expected) == 7 and "mc:syncvm:openxt-syncvm-image:do_populate_sdk" in expected
    assert targets(readme_cmd) == expected
    assert targets(help_cmd) == expected
    vms = re.search(r'for vm in \(([^)]*)\)', bench_targets).group(1)
    bench_list = [f"mc:{vm}:openxt-{vm}-image" for vm in re.findall(r'"(\w+)"', vms)]
    bench_list += [t for t in re.findall(r'"(mc:[^"]+)"', bench_targets) if "{" not in t]
    assert sorted(bench_list) == expected
