"""The layers keep what made them pass oe-core's yocto-check-layer (the Yocto
Project Compatible checks), checked offline on every commit: one type per
layer as yocto-check-layer detects it, a README with what its test_readme
asserts, LAYERSERIES_COMPAT, and nothing that changes another layer's task
signatures unless our distro or machines are selected (bbappends act through
our overrides only, layer.conf sets no global configuration, our Xen recipes
lose to meta-virtualization's by default). The full check is
.github/scripts/yocto_check_layers.py (README, "Yocto Project Compatible
layers")."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from fixtures.checkout import SOURCE, local_layers

LAYERS = {layer.name: layer for layer in local_layers(SOURCE)}
# Scarthgap meta-virtualization's BBFILE_PRIORITY_virtualization-layer.
META_VIRT_PRIORITY = 8
ASSIGNMENT = re.compile(r"^(?P<var>[A-Za-z0-9_${}/.+-]+(?::[A-Za-z0-9_${}.+-]+)*)(?:\[[\w-]+\])?\s*"
                        r"(?P<op>\?\?=|\?=|:=|\+=|=\+|\.=|=\.|=)")


def logical_lines(path: Path) -> list[str]:
    """The file's statements: comments dropped, continuation lines joined."""
    text = re.sub(r"\\\n", " ", path.read_text())
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def layer_type(layer: Path) -> str:
    """yocto-check-layer's classification (scripts/lib/checklayer/__init__.py, _detect_layer)."""
    bsp = any((layer / "conf" / "machine").glob("*.conf"))
    distro = any((layer / "conf" / "distro").glob("*.conf"))
    return {(True, True): "ERROR_BSP_DISTRO", (True, False): "BSP", (False, True): "DISTRO"}.get(
        (bsp, distro), "SOFTWARE")


def layer_var(layer: Path, name: str) -> str | None:
    for line in logical_lines(layer / "conf" / "layer.conf"):
        m = ASSIGNMENT.match(line)
        if m and m.group("var") == name:
            return line[m.end():].strip().strip('"').strip()
    return None


def collection(layer: Path) -> str:
    return layer_var(layer, "BBFILE_COLLECTIONS")


def test_one_distro_one_bsp_and_software_layers():
    assert {name: layer_type(path) for name, path in LAYERS.items()} == {
        "meta-openxt": "DISTRO",
        "meta-openxt-bsp": "BSP",
        "meta-openxt-haskell": "SOFTWARE",
    }


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_readme_says_who_maintains_it_and_where_patches_go(name):
    # test_readme: the shortest README* at the layer's top; a README that mentions
    # "README" is taken to point elsewhere and skips the checks, so ours must not.
    readmes = sorted(LAYERS[name].glob("[Rr][Ee][Aa][Dd][Mm][Ee]*"))
    assert readmes, f"{name} has no README"
    text = readmes[0].read_text()
    assert text.strip() and not re.search("README", text, re.IGNORECASE)
    assert "maintainer" in text.lower() and "patch" in text.lower()
    assert re.compile(r"[^@]+@[^@]+").match(text), "an email address"


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layerseries_compat_names_scarthgap(name):
    layer = LAYERS[name]
    assert "scarthgap" in (layer_var(layer, f"LAYERSERIES_COMPAT_{collection(layer)}") or "").split()


# layer.conf may only describe the layer: anything else is global configuration
# that every build including the layer would get.
LAYER_CONF_VARS = re.compile(r"(BBPATH|BBFILES|BBFILES_DYNAMIC|BBFILE_COLLECTIONS|BBFILE_PATTERN_\S+|BBFILE_PRIORITY_\S+|"
                             r"LAYERVERSION_\S+|LAYERSERIES_COMPAT_\S+|LAYERDEPENDS_\S+|LAYERRECOMMENDS_\S+)")


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layer_conf_sets_nothing_global(name):
    for line in logical_lines(LAYERS[name] / "conf" / "layer.conf"):
        m = ASSIGNMENT.match(line)
        assert m and LAYER_CONF_VARS.fullmatch(m.group("var")), f"{name}/conf/layer.conf: {line}"


def own_overrides(layer: Path) -> set[str]:
    """The overrides only our distro or machines switch on."""
    if layer_type(layer) == "DISTRO":
        return {p.stem for p in (layer / "conf" / "distro").glob("*.conf")}
    if layer_type(layer) == "BSP":
        machines = {p.stem for p in (layer / "conf" / "machine").glob("*.conf")}
        extra = set()
        for inc in (layer / "conf" / "machine").rglob("*.inc"):
            extra |= set(re.findall(r'MACHINEOVERRIDES\s*=\.\s*"([\w-]+):"', inc.read_text()))
        return machines | extra
    return set()


def bbappend_problems(layer: Path) -> list[str]:
    allowed = own_overrides(layer)
    found = []
    for append in sorted(layer.rglob("*.bbappend")):
        for line in logical_lines(append):
            m = ASSIGNMENT.match(line)
            overrides = set(m.group("var").split(":")[1:]) if m else set()
            if not m or not overrides & allowed:
                found.append(f"{append.relative_to(layer.parent)}: {line}")
    return found


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_bbappends_act_only_through_our_distro_or_machines(name):
    assert bbappend_problems(LAYERS[name]) == []


def test_a_bbappend_acting_everywhere_is_caught(tmp_path):
    layer = tmp_path / "meta-openxt"
    (layer / "conf" / "distro").mkdir(parents=True)
    (layer / "conf" / "distro" / "openxt.conf").write_text("")
    (layer / "recipes-x").mkdir()
    (layer / "recipes-x" / "busybox_%.bbappend").write_text(
        'DISABLE_STATIC:openxt = ""\nGRUB_BUILDIN:append = " gzio"\nEXTRA:append:openxt-vm = " \\\n x"\n')
    assert bbappend_problems(layer) == [
        'meta-openxt/recipes-x/busybox_%.bbappend: GRUB_BUILDIN:append = " gzio"',
        'meta-openxt/recipes-x/busybox_%.bbappend: EXTRA:append:openxt-vm = "   x"',
    ]


def test_our_xen_recipes_lose_to_meta_virtualizations_unless_selected():
    """bitbake takes the recipe of the highest-priority layer before comparing
    versions; only PREFERRED_VERSION (the openxt distro's) reaches past it."""
    for name, layer in LAYERS.items():
        if any(layer.glob("recipes-*/xen/xen_*.bb")):
            assert int(layer_var(layer, f"BBFILE_PRIORITY_{collection(layer)}")) < META_VIRT_PRIORITY, name


# A world build of a distro without these features skips the recipe
# (features_check), so a recipe of ours that needs it at run time must require
# the same features, or world has nothing providing it (test_world). The
# upstream recipes' own REQUIRED_DISTRO_FEATURES, at the pinned commits.
FEATURE_GATED = {
    "surf": {"x11", "opengl"},  # meta-oe recipes-graphics/surf/surf_2.1.bb
}


def feature_problems(layer: Path) -> list[str]:
    found = []
    for recipe in sorted(layer.rglob("*.bb")):
        lines = logical_lines(recipe)
        required = set()
        rdepends = set()
        for line in lines:
            m = ASSIGNMENT.match(line)
            if not m:
                continue
            value = set(line[m.end():].strip().strip('"').split())
            if m.group("var") == "REQUIRED_DISTRO_FEATURES":
                required |= value
            elif m.group("var").startswith("RDEPENDS:"):
                rdepends |= value
        for dep in sorted(rdepends & FEATURE_GATED.keys()):
            missing = FEATURE_GATED[dep] - required
            if missing:
                found.append(f"{recipe.relative_to(layer.parent)}: RDEPENDS {dep} without "
                             f"REQUIRED_DISTRO_FEATURES {' '.join(sorted(missing))}")
    return found


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_recipes_require_the_features_of_what_they_run(name):
    assert feature_problems(LAYERS[name]) == []


def test_a_recipe_running_surf_without_opengl_is_caught(tmp_path):
    layer = tmp_path / "meta-openxt"
    (layer / "recipes-x" / "x").mkdir(parents=True)
    (layer / "recipes-x" / "x" / "x_1.0.bb").write_text(
        'inherit features_check\nREQUIRED_DISTRO_FEATURES = "x11"\nRDEPENDS:${PN}-ui = "\\\n    surf \\\n"\n')
    assert feature_problems(layer) == [
        "meta-openxt/recipes-x/x/x_1.0.bb: RDEPENDS surf without REQUIRED_DISTRO_FEATURES opengl"]


# MACHINE_FEATURES that change how a recipe of the shared tune (core2-64) is
# built, not only what a machine-specific recipe installs: oe-core's
# matchbox-panel-2 (DEPENDS libacpi, --with-battery=acpi). A machine with such a
# feature would give tune-shared tasks signatures of its own
# (test_machine_signatures).
TUNE_CHANGING_FEATURES = {"acpi"}


def machine_features(machine: Path) -> set[str]:
    for line in logical_lines(machine):
        m = ASSIGNMENT.match(line)
        if m and m.group("var") == "MACHINE_FEATURES":
            return set(line[m.end():].strip().strip('"').split())
    return set()


def test_the_machines_agree_on_features_that_change_shared_recipes():
    machines = sorted((LAYERS["meta-openxt-bsp"] / "conf" / "machine").glob("*.conf"))
    assert len(machines) == 5
    seen = {m.stem: machine_features(m) & TUNE_CHANGING_FEATURES for m in machines}
    assert len({frozenset(f) for f in seen.values()}) == 1, seen
