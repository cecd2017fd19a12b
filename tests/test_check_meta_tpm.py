"""`oxt check` knows dom0's TPM layer: meta-security's meta-tpm, on scarthgap,
pinned by the lock file. Run on this checkout (oxt check only reads)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from oxt.cli import main

REPO_ROOT = Path(__file__).resolve().parent.parent


def test_meta_tpm_is_in_the_plan_pinned_by_the_lock_file(capsys):
    assert main(["--root", str(REPO_ROOT), "check", "--kas", "kas/openxt.yml", "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    (repo,) = [r for r in plan["repos"] if r["name"] == "meta-security"]
    assert (repo["url"], repo["branch"], repo["layers"]) == (
        "https://git.yoctoproject.org/meta-security", "scarthgap", ["meta-tpm"])
    lock = yaml.safe_load((REPO_ROOT / "kas/openxt.lock.yml").read_text())
    assert repo["commit"] == lock["overrides"]["repos"]["meta-security"]["commit"]
    assert re.fullmatch(r"[0-9a-f]{40}", repo["commit"]) and repo["commit_from"] == "kas/openxt.lock.yml"


def test_the_masked_default_configuration_knows_the_tpm_layer():
    """kas/openxt.yml masks every recipe in the default configuration; each layer
    collection needs its BBFILE_PATTERN_IGNORE_EMPTY line or bitbake warns."""
    kas = yaml.safe_load((REPO_ROOT / "kas/openxt.yml").read_text())
    assert 'BBFILE_PATTERN_IGNORE_EMPTY_tpm-layer = "1"' in kas["local_conf_header"]["openxt-default-config"]
    layer_conf = (REPO_ROOT / "meta-openxt/conf/layer.conf").read_text()
    assert re.search(r"LAYERDEPENDS_openxt = \"[^\"]*\btpm-layer\b", layer_conf)
    distro = (REPO_ROOT / "meta-openxt/conf/distro/openxt.conf").read_text()
    features = re.search(r'^DISTRO_FEATURES = "([^"]*)"', distro, re.M | re.S).group(1).split()
    assert {"tpm", "tpm2"} <= set(features)   # meta-tpm's sanity check warns without one of them
