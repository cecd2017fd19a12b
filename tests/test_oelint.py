"""oelint-adv over every layer of the checkout: 0 findings outside .oelint.cfg's justified list.

oelint-adv runs as a subprocess with the committed configuration, exactly as
`make lint` runs it: recipes, appends and classes in its fast mode (one pass
per recipe), the layer's conf/ tree in "all" mode, the only mode in which
oelint-adv reads machine and distro configurations.
"""

from __future__ import annotations

import configparser
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from fixtures.checkout import SOURCE, local_layers

CONFIG = SOURCE / ".oelint.cfg"
CONSTANTS = SOURCE / ".oelint-constants.json"
RECIPE_SUFFIXES = (".bb", ".bbappend", ".bbclass")
FINDING = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+):(?P<severity>\w+):(?P<rule>[\w.\-]+):(?P<message>.*)$")


def oelint(*args: str, config: bool = True) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("oelint-adv")
    env = dict(os.environ, OELINT_CONFIG=str(CONFIG))
    env.pop("OELINT_SKIP_CONFIG", None)
    if not config:
        env["OELINT_SKIP_CONFIG"] = "1"
    return subprocess.run(
        [str(exe), "--quiet", "--relpaths", *args], cwd=SOURCE, env=env, capture_output=True, text=True, timeout=600
    )


def lint_sets() -> list[tuple[str, str, list[str]]]:
    """(layer, mode, files) covering every recipe, append, class and conf of every layer.

    One run per layer, so each recipe is linted with its own layer.conf only.
    """
    sets = []
    for layer in local_layers(SOURCE):
        recipes, confs = [f"{layer.name}/conf/layer.conf"], []
        for path in sorted(layer.rglob("*")):
            rel = str(path.relative_to(SOURCE))
            if not path.is_file():
                continue
            if path.suffix in RECIPE_SUFFIXES:
                recipes.append(rel)
            elif rel.startswith(f"{layer.name}/conf/") and path.suffix in (".conf", ".inc"):
                confs.append(rel)
        sets += [(layer.name, "fast", recipes), (layer.name, "all", confs)]
    return sets


def findings(result: subprocess.CompletedProcess) -> list[str]:
    lines = [line for line in (result.stdout + result.stderr).splitlines() if FINDING.match(line)]
    # oelint-adv repeats a finding once per machine/distro/branch it expands; one is enough.
    return sorted({re.sub(r" \[branch[:=].*\]$", "", line) for line in lines})


@pytest.mark.slow
@pytest.mark.parametrize(
    "layer, mode, files", [pytest.param(*s, id=f"{s[0]}-{s[1]}") for s in lint_sets()]
)
def test_oelint_adv_finds_nothing(layer, mode, files):
    assert files, f"{layer}: nothing to lint in {mode} mode"
    result = oelint("--mode", mode, *files)
    found = findings(result)
    assert not found, f"oelint-adv --mode {mode} on {layer}: {len(found)} findings:\n" + "\n".join(found)
    assert result.returncode == 0, result.stderr


def test_the_lint_run_covers_every_layer_file():
    covered = {f for _, _, files in lint_sets() for f in files}
    for layer in local_layers(SOURCE):
        assert f"{layer.name}/conf/layer.conf" in covered
        for recipe in layer.rglob("*.bb"):
            assert str(recipe.relative_to(SOURCE)) in covered
        for conf in (layer / "conf").rglob("*.conf"):
            assert str(conf.relative_to(SOURCE)) in covered


def test_oelint_reports_a_planted_finding(tmp_path):
    """The harness must be able to fail: a recipe with a known defect is reported."""
    layer = tmp_path / "meta-probe"
    (layer / "conf").mkdir(parents=True)
    (layer / "conf" / "layer.conf").write_text((SOURCE / "meta-openxt" / "conf" / "layer.conf").read_text())
    recipe = layer / "recipes-probe" / "probe" / "probe_1.0.bb"
    recipe.parent.mkdir(parents=True)
    recipe.write_text('LICENSE = "MIT"\nSRC_URI = "git://example.org/probe.git;protocol=https;branch=main"\nSRCREV = "${AUTOREV}"\n')
    result = oelint("--mode", "fast", str(layer / "conf" / "layer.conf"), str(recipe))
    rules = {FINDING.match(line).group("rule") for line in findings(result)}
    assert "oelint.var.mandatoryvar.SUMMARY" in rules
    assert result.returncode != 0


def _suppressions() -> list[tuple[str, list[str]]]:
    """(rule, the comment lines right above it) from .oelint.cfg."""
    entries, comment = [], []
    in_suppress = False
    for line in CONFIG.read_text().splitlines():
        stripped = line.strip()
        if re.match(r"^suppress\s*=", line):
            in_suppress, comment = True, []
            continue
        if in_suppress and line and not line[0].isspace():
            in_suppress = False
        if not in_suppress:
            continue
        if stripped.startswith("#"):
            comment.append(stripped)
        elif stripped:
            entries.append((stripped, comment))
            comment = []
    return entries


def test_every_suppression_is_a_real_rule_and_justified():
    parsed = configparser.ConfigParser()
    parsed.read(CONFIG)
    listed = parsed["oelint"]["suppress"].split()
    entries = _suppressions()
    assert [rule for rule, _ in entries] == listed
    assert len(listed) <= 8, "the suppression list is meant to stay short"
    rulefile = json.loads(oelint("--print-rulefile", config=False).stdout)  # every rule, none suppressed
    for rule, why in entries:
        assert why, f"{rule}: no justifying comment above it in .oelint.cfg"
        assert rule in rulefile or any(rule.startswith(known + ".") for known in rulefile), f"{rule}: no such oelint-adv rule"


def test_upstream_require_ignores_cannot_hide_a_missing_local_file():
    ignored = json.loads(CONSTANTS.read_text())["oelint-require-file-ignore"]
    for path in ignored:
        for layer in local_layers(SOURCE):
            assert not (layer / path).exists(), f"{path} is in {layer.name}: lint it, do not ignore it"
