"""Each `oxt check` check on its own, over a tiny layer (tests/test_checks/tiny/).

The Composition is built from tests/test_checks/tiny/kas/tiny.yml by hand, as kas
would merge it (no kas, no git): every test breaks one thing in a copy of the
tiny layer or its kas config and asserts the exact problems one check reports.
The same checks over the real checkout, through kas, are tests/test_check.py.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from oxt.checks import CHECKS, COMPOSITION_CHECKS, examine, layers, mcdepends, multilib, pins, recipes, repos, vms
from oxt.kasfiles import Composition, RepoPin
from oxt.resolve import resolve_vms
from oxt.stack import Stack

DATA = Path(__file__).parent / "test_checks" / "tiny"
KAS = "kas/tiny.yml"
IMAGES = "meta-tiny/recipes-images/images"


class Tiny:
    """A copy of the tiny layer and its kas config, composed by hand."""

    def __init__(self, root: Path):
        self.root = root
        self.config = yaml.safe_load((root / KAS).read_text())
        self.lock: dict = {}

    def write(self, rel: str, text: str) -> None:
        (self.root / rel).parent.mkdir(parents=True, exist_ok=True)
        (self.root / rel).write_text(text)

    def append(self, rel: str, text: str) -> None:
        self.write(rel, (self.root / rel).read_text() + text)

    def replace(self, rel: str, old: str, new: str) -> None:
        text = (self.root / rel).read_text()
        assert old in text, (rel, old)
        self.write(rel, text.replace(old, new))

    def composition(self) -> Composition:
        config = dict(self.config)
        loaded = [(self.root / KAS, self.config, False)]
        if self.lock:
            loaded.append((self.root / "kas/tiny.lock.yml", {"overrides": {"repos": self.lock}}, True))
            config["overrides"] = {"repos": self.lock}
        comp = Composition(self.root, [self.root / KAS], loaded, config)
        comp.repos = [self._pin(comp, name, spec or {}) for name, spec in config["repos"].items()]
        return comp

    def _pin(self, comp: Composition, name: str, spec: dict) -> RepoPin:
        locked = self.lock.get(name, {}).get("commit")
        return RepoPin(name=name, url=spec.get("url"), branch=spec.get("branch"), commit=locked or spec.get("commit"),
                       tag=None, path=self.root, layers=tuple(spec.get("layers") or ()), defined_in=KAS,
                       commit_from=comp.origin("overrides", "repos", name, "commit") if locked
                       else (KAS if spec.get("commit") else None))

    def stack(self) -> Stack:
        return Stack.of(self.composition())

    def problems(self, module) -> list[str]:
        stack = self.stack()
        plan = resolve_vms(stack) if stack.layers else None
        return sorted(str(p) for p in module.check(stack, plan))


@pytest.fixture
def tiny(tmp_path) -> Tiny:
    shutil.copytree(DATA, tmp_path / "tiny")
    return Tiny(tmp_path / "tiny")


# -- the clean tiny layer: its plan, and no check complains --------------------------


def test_clean_tiny_layer_passes_every_check(tiny):
    plan, problems = examine(tiny.composition())
    assert problems == []
    assert [(vm.name, vm.machine, vm.image, vm.tmpdir, vm.deploy_dir) for vm in plan.vms] == [
        ("a", "tiny-a", "tiny-a-image", "build/tmp-a", "build/tmp-a/deploy/images/tiny-a"),
        ("b", "tiny-b", "tiny-b-image", "build/tmp-b", "build/tmp-b/deploy/images/tiny-b"),
    ]
    assert plan.bbmulticonfig == ["a", "b"]
    (dep,) = plan.mcdepends
    assert (dep.recipe, dep.task, dep.source, dep.multiconfig, dep.target, dep.target_task) == (
        "tiny-a-image", "do_image", "${BB_CURRENT_MC}", "b", "tiny-b-image", "do_image_complete")
    assert dep.file == f"{IMAGES}/tiny-a-image.bb:5"


def test_every_check_module_has_the_check_signature():
    for module in COMPOSITION_CHECKS + CHECKS:
        assert callable(module.check), module.__name__


def test_resolving_checks_nothing(tiny):
    """A broken layer still resolves: the plan leaves the unknown names empty."""
    (tiny.root / "meta-tiny/conf/multiconfig/b.conf").unlink()
    plan = resolve_vms(tiny.stack())
    b = plan.vms[1]
    assert (b.name, b.multiconfig_file, b.machine, b.tmpdir, b.deploy_dir) == ("b", None, None, None, None)


# -- repos ---------------------------------------------------------------------------


def test_repos_unpinned_short_and_branchless(tiny):
    core = tiny.config["repos"]["openembedded-core"]
    core.pop("commit")
    assert tiny.problems(repos) == [f"{KAS}: repos.openembedded-core: url {core['url']} has no commit; "
                                    "pin it: add repos.openembedded-core.commit (full 40-hex) and run kas lock"]
    core["commit"], core["branch"] = "abc1234", None
    assert tiny.problems(repos) == [
        f"{KAS}: repos.openembedded-core.commit: 'abc1234' is not a full 40-hex commit; "
        "use the full commit id (git rev-parse <ref>)",
        f"{KAS}: repos.openembedded-core: no branch next to its commit; add repos.openembedded-core.branch "
        "(the upstream branch the commit is on) so kas lock can update it",
    ]


def test_repos_lock_disagrees_and_stale_lock_entry(tiny):
    tiny.lock = {"openembedded-core": {"commit": "1" * 40}, "meta-gone": {"commit": "2" * 40}}
    found = tiny.problems(repos)
    assert len(found) == 2
    assert found[0].startswith("kas/tiny.lock.yml: overrides.repos.meta-gone: no repo 'meta-gone'")
    assert found[1].startswith(f"kas/tiny.lock.yml: overrides.repos.openembedded-core.commit: {'1' * 40} differs "
                               f"from repos.openembedded-core.commit 5435505")


def test_repos_missing_local_layer_runs_only_the_composition_checks(tiny):
    shutil.rmtree(tiny.root / "meta-tiny")
    plan, problems = examine(tiny.composition())
    assert plan is None
    assert [str(p) for p in problems] == [
        f"{KAS}: repos.this.layers.meta-tiny: no meta-tiny/conf/layer.conf; kas takes a repo without url to be the "
        "git checkout holding the kas file; fix the layer name or run from a git clone"]


def test_repos_no_local_repo(tiny):
    del tiny.config["repos"]["this"]
    assert tiny.problems(repos) == [f"{KAS}: no repo without url, so this checkout's layers are not in the build; "
                                    "add repos: meta-openxt: layers: meta-openxt: to kas/openxt.yml"]


# -- layers --------------------------------------------------------------------------


def test_layers_compat_collections_bbfiles(tiny):
    tiny.replace("meta-tiny/conf/layer.conf", 'COMPAT_tiny = "scarthgap"', 'COMPAT_tiny = "kirkstone"')
    assert tiny.problems(layers) == [
        'meta-tiny/conf/layer.conf: LAYERSERIES_COMPAT_tiny = "kirkstone" lacks scarthgap (the openembedded-core '
        f'branch in {KAS}); add scarthgap or pin openembedded-core to a series the layer supports']


def test_layers_stray_recipe(tiny):
    tiny.write("meta-tiny/recipes-images/stray.bb", 'SUMMARY = "x"\n')
    (problem,) = tiny.problems(layers)
    assert problem.startswith("meta-tiny/recipes-images/stray.bb: not matched by BBFILES (meta-tiny/recipes-*/*/*.bb")


def test_layers_without_collection(tiny):
    tiny.replace("meta-tiny/conf/layer.conf", 'BBFILE_COLLECTIONS += "tiny"\n', "")
    assert tiny.problems(layers) == ['meta-tiny/conf/layer.conf: BBFILE_COLLECTIONS is not set; '
                                     'add BBFILE_COLLECTIONS += "<name>"']


# -- pins ----------------------------------------------------------------------------


def test_pins_autorev_short_srcrev_and_rev(tiny):
    recipe = "meta-tiny/recipes-support/hello/hello_1.0.bb"
    tiny.replace(recipe, 'SRCREV = "0123456789abcdef0123456789abcdef01234567"', 'SRCREV = "${AUTOREV}"')
    tiny.write("meta-tiny/recipes-support/hello/bye_1.0.bb",
               'SRCREV_bye = "deadbeef"\nSRC_URI = "git://example.org/bye.git;protocol=https;rev=cafe"\n')
    assert tiny.problems(pins) == [
        'meta-tiny/recipes-support/hello/bye_1.0.bb:1: SRCREV_bye = "deadbeef" is not a full 40-hex commit; '
        "use the full commit id (git rev-parse <tag>^{commit})",
        "meta-tiny/recipes-support/hello/bye_1.0.bb:2: SRC_URI ;rev=cafe is not a full 40-hex commit; "
        "use the full commit id",
        f'{recipe}:4: AUTOREV (SRCREV = "${{AUTOREV}}"); pin a full 40-hex SRCREV; AUTOREV makes builds irreproducible',
    ]


def test_pins_srcrev_through_a_variable_is_resolved(tiny):
    tiny.write("meta-tiny/recipes-support/hello/hello.inc", 'SRCREV = "${HELLO_REV}"\n')
    tiny.write("meta-tiny/recipes-support/hello/hello_1.0.bb", 'HELLO_REV = "' + "ab" * 20 + '"\nrequire hello.inc\n')
    assert tiny.problems(pins) == []


def test_pins_in_kas_headers(tiny):
    tiny.config["local_conf_header"]["dev"] = '# pinned\nSRCREV:pn-hello = "beef"\nSRCREV:pn-x = "${AUTOREV}"\n'
    assert tiny.problems(pins) == [
        f"{KAS}: local_conf_header.dev line 2: SRCREV:pn-hello = 'beef' is not a full 40-hex commit; "
        "use the full commit id",
        f'{KAS}: local_conf_header.dev line 3: AUTOREV (SRCREV:pn-x = "${{AUTOREV}}"); '
        "pin a full 40-hex SRCREV instead; AUTOREV makes builds irreproducible",
    ]


# -- vms -----------------------------------------------------------------------------


def test_vms_distro_and_machine_of_the_kas_file(tiny):
    tiny.config["distro"] = "poky"  # local.conf's DISTRO ??= reaches every multiconfig too
    tiny.config["machine"] = "qemux86-64"  # only openxt-* machines are ours to check
    assert tiny.problems(vms) == [
        f"{KAS}: distro: 'poky' has no conf/distro/poky.conf in meta-tiny; add it or use one of: tinyos",
        'meta-tiny/conf/multiconfig/a.conf: DISTRO = "poky": no conf/distro/poky.conf in meta-tiny; '
        "add the distro or drop the DISTRO line (the kas distro applies)",
        'meta-tiny/conf/multiconfig/b.conf: DISTRO = "poky": no conf/distro/poky.conf in meta-tiny; '
        "add the distro or drop the DISTRO line (the kas distro applies)",
    ]
    tiny.config["distro"] = "tinyos"
    tiny.config["machine"] = "openxt-nope"
    assert tiny.problems(vms) == [f"{KAS}: machine: 'openxt-nope' has no conf/machine/openxt-nope.conf in "
                                  "meta-tiny; add it or use one of: tiny-a, tiny-b"]
    del tiny.config["distro"]
    assert tiny.problems(vms)[0].startswith(f"{KAS}: distro: not set, so kas uses its default 'poky'")


def test_vms_missing_multiconfig_machine_and_tmpdir(tiny):
    tiny.write("meta-tiny/conf/multiconfig/b.conf", 'MACHINE = "tiny-c"\n')
    tiny.config["target"].append("mc:c:tiny-b-image")
    tiny.config["local_conf_header"]["mc"] = 'BBMULTICONFIG = "a b c"\n'
    assert tiny.problems(vms) == [
        f"{KAS}: local_conf_header.mc: BBMULTICONFIG names c but there is no conf/multiconfig/c.conf; "
        "remove it or add the multiconfig",
        f"{KAS}: target mc:c:tiny-b-image: no conf/multiconfig/c.conf in meta-tiny; "
        "add the multiconfig or use one of: a, b",
        "meta-tiny/conf/multiconfig/b.conf: TMPDIR is not set; multiconfigs sharing a TMPDIR corrupt each other's "
        'builds; set TMPDIR = "${TOPDIR}/tmp-b"',
        'meta-tiny/conf/multiconfig/b.conf:1: MACHINE = "tiny-c": no conf/machine/tiny-c.conf in meta-tiny; '
        "add the machine or use one of: tiny-a, tiny-b",
    ]


def test_vms_shared_and_default_tmpdir(tiny):
    tiny.replace("meta-tiny/conf/multiconfig/b.conf", "tmp-b", "tmp-a")
    assert tiny.problems(vms) == ['meta-tiny/conf/multiconfig/b.conf: TMPDIR = "${TOPDIR}/tmp-a" is also the TMPDIR '
                                  "of multiconfig a; every multiconfig needs its own TMPDIR"]
    tiny.replace("meta-tiny/conf/multiconfig/a.conf", "tmp-a", "tmp")
    assert 'meta-tiny/conf/multiconfig/a.conf: TMPDIR = "${TOPDIR}/tmp" is the default configuration\'s TMPDIR; ' \
           "give the multiconfig its own, e.g. ${TOPDIR}/tmp-a" in tiny.problems(vms)


def test_vms_bbmulticonfig_left_to_kas_or_lacking_a_target(tiny):
    del tiny.config["local_conf_header"]["mc"]
    assert tiny.problems(vms) == [f"{KAS}: BBMULTICONFIG is left to kas, which writes a b in a different order on "
                                  "every run, so bitbake throws its parse cache away each time; set it in a "
                                  'local_conf_header block: BBMULTICONFIG = "a b"']
    tiny.config["local_conf_header"]["mc"] = 'BBMULTICONFIG = "a"\n'
    assert tiny.problems(vms) == [f'{KAS}: local_conf_header.mc: BBMULTICONFIG = "a" lacks b, a target\'s '
                                  "multiconfig; drop the BBMULTICONFIG line (kas derives it from the targets) "
                                  "or add the multiconfig"]


# -- multilib ------------------------------------------------------------------------


def test_multilib_without_multilib_conf_or_tune(tiny):
    tiny.append("meta-tiny/conf/multiconfig/b.conf", 'MULTILIBS = "multilib:lib32"\n')
    assert tiny.problems(multilib) == [
        'meta-tiny/conf/multiconfig/b.conf:3: MULTILIBS = "multilib:lib32" without `require conf/multilib.conf`: '
        "bitbake creates no lib32- recipes for multiconfig b; add `require conf/multilib.conf` before MULTILIBS",
        "meta-tiny/conf/multiconfig/b.conf:3: MULTILIBS has lib32 but DEFAULTTUNE:virtclass-multilib-lib32 is not "
        "set: multiconfig b would build its lib32- packages for the default tune (core2-64); "
        'set DEFAULTTUNE:virtclass-multilib-lib32 ("x86" for lib32 on x86-64)',
    ]


def test_multilib_packages_in_the_plan_and_without_multilib(tiny):
    tiny.append("meta-tiny/conf/multiconfig/b.conf", 'MULTILIBS = "multilib:lib32"\n'
                'DEFAULTTUNE:virtclass-multilib-lib32 = "x86"\nrequire conf/multilib.conf\n')
    tiny.write("meta-tiny/conf/multilib.conf", "# stands in for oe-core's\n")
    tiny.append(f"{IMAGES}/tiny-b-image.bb", 'IMAGE_INSTALL += "lib32-hello"\n')
    tiny.append(f"{IMAGES}/tiny-a-image.bb", 'IMAGE_INSTALL += "lib32-hello"\n')
    plan = resolve_vms(tiny.stack())
    assert [(vm.multilib, vm.multilib_packages) for vm in plan.vms] == [
        ([], {}), (["lib32"], {"lib32": ["lib32-hello"]})]
    assert tiny.problems(multilib) == [
        f"{IMAGES}/tiny-a-image.bb: IMAGE_INSTALL has lib32-hello but multiconfig a enables no lib32 multilib; "
        'add MULTILIBS = "multilib:lib32" (and its DEFAULTTUNE) to meta-tiny/conf/multiconfig/a.conf']


# -- mcdepends -----------------------------------------------------------------------


@pytest.mark.parametrize("value, says", [
    ("mc:a:b:tiny-b-image", 'do_image[mcdepends] = "mc:a:b:tiny-b-image" is not mc:FROM:TO:RECIPE:TASK'),
    ("mc:${BB_CURRENT_MC}:z:tiny-b-image:do_image_complete", "multiconfig 'z' has no conf/multiconfig/z.conf"),
    ("mc:${BB_CURRENT_MC}:b:tiny-x-image:do_image_complete", None),  # not our namespace: not checkable offline
    ("mc:${BB_CURRENT_MC}:b:openxt-nope:do_build", "recipe 'openxt-nope' is not provided by meta-tiny"),
    ("mc:b:b:tiny-b-image:do_image_complete", "only applies in multiconfig b, but tiny-a-image is built in a"),
    ("mc:q:b:tiny-b-image:do_image_complete", "source multiconfig 'q' has no conf/multiconfig/q.conf"),
])
def test_mcdepends(tiny, value, says):
    tiny.replace(f"{IMAGES}/tiny-a-image.bb", "mc:${BB_CURRENT_MC}:b:tiny-b-image:do_image_complete", value)
    found = tiny.problems(mcdepends)
    if says is None:
        assert found == []
    else:
        assert found and all(p.startswith(f"{IMAGES}/tiny-a-image.bb:5: ") for p in found)
        assert any(says in p for p in found), found


def test_mcdepends_on_a_multiconfig_not_built(tiny):
    tiny.config["target"].remove("mc:b:tiny-b-image")
    tiny.config["local_conf_header"]["mc"] = 'BBMULTICONFIG = "a"\n'
    assert tiny.problems(mcdepends) == [
        f"{IMAGES}/tiny-a-image.bb:5: do_image[mcdepends]: multiconfig 'b' is not in BBMULTICONFIG (a); "
        "add a target mc:b:<image> to the kas file so kas enables it"]


# -- recipes -------------------------------------------------------------------------


def test_recipes_target_missing_or_not_an_image(tiny):
    tiny.config["target"] += ["mc:b:nothing-image", "hello"]
    assert tiny.problems(recipes) == [
        f"{KAS}: target mc:b:nothing-image: no recipe nothing-image.bb in meta-tiny (BBFILES); "
        "add the image recipe under recipes-images/images/ or fix the target",
        "meta-tiny/recipes-support/hello/hello_1.0.bb: target hello: hello is not an image recipe "
        "(no inherit core-image/image); inherit core-image, or target an image",
    ]


def test_recipes_package_of_a_layer_left_out(tiny):
    shutil.copytree(tiny.root / "meta-tiny", tiny.root / "meta-extra")
    tiny.replace("meta-extra/conf/layer.conf", "tiny", "extra")
    tiny.write("meta-extra/recipes-support/extra/extra-tool_1.0.bb", 'SUMMARY = "x"\nLICENSE = "MIT"\n')
    tiny.append(f"{IMAGES}/tiny-b-image.bb", 'IMAGE_INSTALL += "lib32-extra-tool"\n')
    assert tiny.problems(recipes) == [
        f"{IMAGES}/tiny-b-image.bb: IMAGE_INSTALL has lib32-extra-tool, built by "
        f"meta-extra/recipes-support/extra/extra-tool_1.0.bb, but layer meta-extra is not in {KAS}; "
        "add meta-extra to the layers of this checkout's repo in kas/openxt.yml"]
