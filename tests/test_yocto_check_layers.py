""".github/scripts/yocto_check_layers.py: which layers it checks, against what, and
how it reports -- run for real against a fake kas shell (bitbake-layers,
bitbake, oe-core's oe-init-build-env and yocto-check-layer are small scripts
that record their calls), so the command lines yocto-check-layer gets are
asserted, not assumed. The real checks ran through the harness (README,
"Yocto Project Compatible layers")."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fixtures.checkout import REPO_ROOT

SCRIPT = REPO_ROOT / ".github" / "scripts" / "yocto_check_layers.py"


def executable(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o755)
    return path


def layer(path: Path, machines: tuple[str, ...] = ()) -> Path:
    (path / "conf").mkdir(parents=True)
    (path / "conf" / "layer.conf").write_text('BBPATH .= ":${LAYERDIR}"\n')
    for machine in machines:
        (path / "conf" / "machine").mkdir(exist_ok=True)
        (path / "conf" / "machine" / f"{machine}.conf").write_text("")
    return path


class KasShell:
    """A kas work dir with two upstream layers and a repository with three layers."""

    def __init__(self, root: Path):
        self.root = root
        work = root / "kas-work"
        self.oecore = work / "openembedded-core"
        self.bitbake = work / "bitbake"
        self.repo = root / "repo"
        self.build = work / "build"
        self.build.mkdir(parents=True)
        self.record = root / "calls.jsonl"
        self.upstream = {"core": layer(self.oecore / "meta"),
                         "virtualization-layer": layer(work / "meta-virtualization")}
        self.ours = {"openxt": layer(self.repo / "meta-openxt"),
                     "openxt-bsp": layer(self.repo / "meta-openxt-bsp", ("openxt-dom0", "openxt-ndvm")),
                     "openxt-haskell": layer(self.repo / "meta-openxt-haskell")}
        rows = "\n".join(f"{name:22}{self.build}/../{os.path.relpath(path, self.build.parent)}  5"
                         for name, path in {**self.upstream, **self.ours}.items())
        bin_ = root / "bin"
        executable(bin_ / "bitbake-layers",
                   f"#!/bin/sh\necho 'NOTE: Starting bitbake server...'\n"
                   f"printf 'layer                 path    priority\\n====\\n%s\\n' '{rows}'\n")
        executable(self.bitbake / "bin" / "bitbake", "#!/bin/sh\nexit 0\n")
        ycl = executable(root / "ycl-bin" / "yocto-check-layer", f"""#!{sys.executable}
import json, os, sys
layer = os.path.basename(sys.argv[-1])
with open({str(self.record)!r}, 'a') as out:
    out.write(json.dumps({{'argv': sys.argv[1:], 'cwd': os.getcwd(), 'builddir': os.environ.get('BUILDDIR'),
                          'bbpath': os.environ.get('BBPATH')}}) + '\\n')
status = 'FAIL' if layer in os.environ.get('FAIL_LAYERS', '').split() else 'PASS'
print('INFO: Summary of results:')
print('INFO: ')
print(f'INFO: {{layer}} ... {{status}}')
sys.exit(2 if status == 'FAIL' else 0)
""")
        executable(self.oecore / "oe-init-build-env",
                   f'BUILDDIR=$(realpath -m "$1"); export BUILDDIR; mkdir -p "$BUILDDIR"; cd "$BUILDDIR"\n'
                   f'PATH={ycl.parent}:$PATH; export PATH\n')
        self.env = {**os.environ, "PATH": f"{bin_}:{self.bitbake / 'bin'}:{os.environ['PATH']}",
                    "BUILDDIR": str(self.build), "BBPATH": str(self.build)}

    def run(self, *args: str, **env: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, str(SCRIPT), "--repo", str(self.repo), *args],
                              env={**self.env, **env}, capture_output=True, text=True, check=False)

    def calls(self) -> list[dict]:
        return [json.loads(line) for line in self.record.read_text().splitlines()] if self.record.exists() else []


@pytest.fixture
def kas(tmp_path):
    return KasShell(tmp_path)


def dependencies(argv: list[str]) -> list[str]:
    start = argv.index("--dependency") + 1
    end = next(i for i in range(start, len(argv)) if argv[i].startswith("--"))
    return argv[start:end]


def test_every_layer_of_the_repo_is_checked_against_the_upstream_layers_and_the_others(kas):
    result = kas.run()
    assert result.returncode == 0, result.stdout + result.stderr
    calls = {Path(c["argv"][-1]).name: c for c in kas.calls()}
    assert set(calls) == {"meta-openxt", "meta-openxt-bsp", "meta-openxt-haskell"}
    for name, call in calls.items():
        argv = call["argv"]
        assert argv[-2] == "--" and argv[-1] == str(kas.repo / name)
        assert "--no-auto" in argv and "--no-auto-dependency" in argv
        deps = dependencies(argv)
        assert str(kas.repo / name) not in deps, "a layer is not its own dependency"
        assert set(deps) == {str(p) for p in (*kas.upstream.values(), *kas.ours.values())} - {str(kas.repo / name)}
        # yocto-check-layer runs in its own build directory, set up by oe-init-build-env,
        # not in kas's (whose BBLAYERS already holds the layer under test).
        assert call["builddir"] == call["cwd"] == str(kas.build.parent / "yocto-check-layer")
        assert call["bbpath"] is None
    assert "--machines" not in calls["meta-openxt"]["argv"]
    bsp = calls["meta-openxt-bsp"]["argv"]
    assert bsp[bsp.index("--machines") + 1: bsp.index("--")] == ["openxt-dom0", "openxt-ndvm"]
    assert "meta-openxt-bsp ... PASS" in result.stdout and "Summary of results:" in result.stdout


def test_the_check_build_holds_oe_core_alone_offline(kas):
    assert kas.run("--layer", "meta-openxt-haskell").returncode == 0
    conf = kas.build.parent / "yocto-check-layer" / "conf"
    bblayers = (conf / "bblayers.conf").read_text()
    assert f'BBLAYERS ?= "{kas.oecore / "meta"}"' in bblayers
    assert "meta-openxt" not in bblayers and "meta-virtualization" not in bblayers
    local = (conf / "local.conf").read_text()
    assert 'BB_NO_NETWORK = "1"' in local and 'DISTRO ?= "nodistro"' in local
    # meta-virtualization's distro features only when it is in the stack
    # (meta-openxt-bsp's base is oe-core alone, whose qemu would want xen-tools).
    assert ("DISTRO_FEATURES:append = \"${@bb.utils.contains('BBFILE_COLLECTIONS', "
            "'virtualization-layer', ' xen virtualization', '', d)}\"") in local
    assert [Path(c["argv"][-1]).name for c in kas.calls()] == ["meta-openxt-haskell"]
    log = kas.build.parent / "yocto-check-layer" / "logs" / "meta-openxt-haskell.log"
    assert "meta-openxt-haskell ... PASS" in log.read_text()
    # The command comes first, to rerun a failure by hand.
    assert log.read_text().startswith("$ source ") and "yocto-check-layer --no-auto" in log.read_text()


def test_a_failing_layer_fails_the_run_and_the_others_still_run(kas):
    result = kas.run(FAIL_LAYERS="meta-openxt")
    assert result.returncode == 1
    assert "meta-openxt ... FAIL" in result.stdout and "meta-openxt-bsp ... PASS" in result.stdout
    assert len(kas.calls()) == 3


def test_a_run_without_a_summary_is_a_failure(kas):
    (kas.root / "ycl-bin" / "yocto-check-layer").write_text("#!/bin/sh\nexit 0\n")
    result = kas.run("--layer", "meta-openxt")
    assert result.returncode == 1 and "meta-openxt ... FAIL (no summary" in result.stdout


@pytest.mark.parametrize("args, env, message", [
    (["--layer", "meta-nope"], {}, "--layer meta-nope: not a layer of this repository"),
    ([], {"BUILDDIR": ""}, "run this inside `kas shell"),
])
def test_usage_errors(kas, args, env, message):
    if env.get("BUILDDIR") == "":
        kas.env.pop("BUILDDIR")
        env = {}
    result = kas.run(*args, **env)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr
    assert kas.calls() == []


def test_a_repo_with_no_layer_in_the_kas_build_is_refused(kas, tmp_path):
    result = subprocess.run([sys.executable, str(SCRIPT), "--repo", str(tmp_path / "elsewhere")],
                            env=kas.env, capture_output=True, text=True, check=False)
    assert result.returncode == 2 and "no layer of the kas build lies in --repo" in result.stderr
