"""Every kas file is accepted by kas itself: its loader in-process, and `kas dump` end to end."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import git
import pytest
import yaml

from fixtures.checkout import SOURCE, copy_checkout, dump_yaml, load_yaml
from oxt.kasfiles import compose, discover, is_lockfile, validate_file

KAS_FILES = sorted((SOURCE / "kas").glob("*.yml"))
FRAGMENTS = [p for p in KAS_FILES if p.name != "openxt.yml" and not is_lockfile(p)]


def test_kas_dir_has_the_release_file_and_fragments():
    kas_set = discover(SOURCE / "kas")
    assert kas_set.main.name == "openxt.yml"
    names = {p.name for p in kas_set.fragments}
    assert {"offline.yml", "ci.yml"} <= names


@pytest.mark.parametrize("path", KAS_FILES, ids=lambda p: p.name)
def test_kas_loads_each_file_alone_without_complaint(path):
    assert validate_file(path, SOURCE) == []


@pytest.mark.parametrize("fragment", [None, *FRAGMENTS], ids=lambda p: p.name if p else "openxt.yml")
def test_kas_composes_each_fragment_after_the_release_file(fragment):
    files = [SOURCE / "kas" / "openxt.yml"] + ([fragment] if fragment else [])
    comp = compose(files, SOURCE)
    release = load_yaml(SOURCE / "kas" / "openxt.yml")
    assert comp.distro == release["distro"]
    if fragment:
        # kas merges the fragment over the release file: its headers win.
        for key, value in (load_yaml(fragment).get("local_conf_header") or {}).items():
            assert comp.local_conf_header[key] == value
        assert set(comp.targets) == set(load_yaml(fragment).get("target") or release["target"])
    pinned = {r.name: r for r in comp.repos if not r.local}
    for name, spec in release["repos"].items():
        if spec and "url" in spec:
            assert pinned[name].url == spec["url"]
            assert pinned[name].branch == spec["branch"]


def test_the_lock_file_overrides_the_kas_commit(tmp_path):
    root = copy_checkout(tmp_path / "co")
    lock = root / "kas" / "openxt.lock.yml"
    header = load_yaml(root / "kas" / "openxt.yml")["header"]["version"]
    dump_yaml(lock, {"header": {"version": header}, "overrides": {"repos": {"bitbake": {"commit": "a" * 40}}}})
    comp = compose([root / "kas" / "openxt.yml"], root)
    bitbake = next(r for r in comp.repos if r.name == "bitbake")
    assert bitbake.commit == "a" * 40
    assert bitbake.commit_from == "kas/openxt.lock.yml"
    assert comp.lockfiles == [lock]


# -- kas dump against fixture upstream repositories ---------------------------------------


def _fixture_upstreams(base: Path, release: dict) -> dict[str, str]:
    """A local git repo per upstream repo of the release file, on the kas branch,
    holding the layers kas expects; returns name -> commit."""
    commits = {}
    for name, spec in release["repos"].items():
        if not spec or "url" not in spec:
            continue
        path = base / Path(spec["url"]).name
        repo = git.Repo.init(path, initial_branch=str(spec["branch"]))
        for layer in spec.get("layers") or {"": None}:
            conf = path / layer / "conf" / "layer.conf"
            conf.parent.mkdir(parents=True, exist_ok=True)
            conf.write_text(f'# fixture layer {name}/{layer}\nBBFILE_COLLECTIONS += "{name}-{layer}"\n')
        repo.git.add("-A")
        commits[name] = repo.index.commit(f"fixture {name}").hexsha
    return commits


def _premirrors(base: Path, release: dict) -> str:
    hosts = sorted({re.match(r"(https://[^/]+)/", spec["url"]).group(1)
                    for spec in release["repos"].values() if spec and "url" in spec})
    return "\n".join(f"{re.escape(host)}/(.*) file://{base}/\\1" for host in hosts)


@pytest.mark.slow
@pytest.mark.parametrize("fragment", [None, *FRAGMENTS], ids=lambda p: p.name if p else "openxt.yml")
def test_kas_dump_resolves_the_composition_offline(tmp_path, fragment):
    root = copy_checkout(tmp_path / "co")
    release_path = root / "kas" / "openxt.yml"
    release = load_yaml(release_path)
    commits = _fixture_upstreams(tmp_path / "upstream", release)

    # Pin the copy to the fixture commits (upstream SHAs cannot exist offline);
    # text substitution keeps the file otherwise byte-identical.
    text = release_path.read_text()
    for name, spec in release["repos"].items():
        if spec and spec.get("commit"):
            text = text.replace(spec["commit"], commits[name])
    release_path.write_text(text)
    lock = root / "kas" / "openxt.lock.yml"
    if lock.exists():
        data = load_yaml(lock)
        for name in data.get("overrides", {}).get("repos", {}):
            data["overrides"]["repos"][name]["commit"] = commits[name]
        dump_yaml(lock, data)
    repo = git.Repo(root)
    repo.git.add("-A")
    repo.index.commit("pin the fixture upstreams")

    spec = "kas/openxt.yml" + (f":kas/{fragment.name}" if fragment else "")
    env = dict(os.environ, KAS_WORK_DIR=str(tmp_path / "work"), KAS_PREMIRRORS=_premirrors(tmp_path / "upstream", release))
    (tmp_path / "work").mkdir()
    kas = Path(sys.executable).with_name("kas")
    result = subprocess.run(
        [str(kas), "dump", "--resolve-refs", spec], cwd=root, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "WARNING" not in result.stderr and "ERROR" not in result.stderr, result.stderr
    dumped = yaml.safe_load(result.stdout)
    assert dumped["target"] == (load_yaml(fragment).get("target") if fragment and "target" in load_yaml(fragment) else release["target"])
    assert dumped["distro"] == release["distro"]
    for name, commit in commits.items():
        assert dumped["repos"][name]["commit"] == commit
        assert (tmp_path / "work" / name / ".git").exists(), f"kas did not check out {name}"
    if fragment:
        assert set(load_yaml(fragment).get("local_conf_header") or {}) <= set(dumped["local_conf_header"])

