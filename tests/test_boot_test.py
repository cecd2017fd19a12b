"""The boot test (kas/testimage.yml) as CI runs it: what can be checked offline.

It boots images, so it only runs where they are built (images.yml, job
boot-test); here: the job composes kas files that kas accepts, the runtime
test suites it names exist, and the test case is valid Python.
"""

from __future__ import annotations

import ast
import re

import pytest
import yaml

from fixtures.checkout import REPO_ROOT

WORKFLOW = REPO_ROOT / ".github" / "workflows" / "images.yml"
TESTIMAGE = REPO_ROOT / "kas" / "testimage.yml"
CASES = REPO_ROOT / "meta-openxt" / "lib" / "oeqa" / "runtime" / "cases"
# oe-core scarthgap's meta/lib/oeqa/runtime/cases/ has ping.py and ssh.py.
OE_CORE_CASES = {"ping", "ssh"}


def boot_job() -> dict:
    return yaml.safe_load(WORKFLOW.read_text())["jobs"]["boot-test"]


def composition() -> list[str]:
    """kas-build composes kas/openxt.yml with kas/<name>.yml per fragment name."""
    names = boot_job()["with"]["fragments"].split(":")
    return ["kas/openxt.yml"] + [f"kas/{name}.yml" for name in names]


def test_boot_job_runs_after_the_image_build_through_the_trusted_build():
    jobs = yaml.safe_load(WORKFLOW.read_text())["jobs"]
    job = boot_job()
    assert job["needs"] == "images"
    # the one reusable job that may use the build runner, as the images job
    assert job["uses"] == jobs["images"]["uses"] == "./.github/workflows/kas-build.yml"
    assert job["with"]["testimage"] is True
    assert composition()[-1] == "kas/testimage.yml" and "kas/ci.yml" in composition()


def test_the_build_uploads_testimage_results_when_asked():
    build = yaml.safe_load((WORKFLOW.parent / "kas-build.yml").read_text())
    assert "testimage" in build[True]["workflow_call"]["inputs"]  # PyYAML reads the key on: as True
    upload = next(s for s in build["jobs"]["build"]["steps"] if s.get("name") == "Upload test results and boot logs")
    assert "inputs.testimage" in upload["if"] and "log/oeqa" in upload["with"]["path"]


@pytest.mark.slow
def test_kas_accepts_the_boot_test_composition():
    from oxt.kasfiles import compose

    comp = compose([REPO_ROOT / f for f in composition()], REPO_ROOT)
    assert comp.targets == ["mc:dom0:openxt-dom0-image"]
    assert comp.config["task"] == "testimage"
    assert "IMAGE_CLASSES:append:pn-openxt-dom0-image" in comp.local_conf_header["openxt-testimage"]


def test_every_test_suite_exists():
    header = yaml.safe_load(TESTIMAGE.read_text())["local_conf_header"]["openxt-testimage"]
    suites = re.search(r'TEST_SUITES:pn-openxt-dom0-image = "([^"]*)"', header).group(1).split()
    ours = {p.stem for p in CASES.glob("*.py")}
    assert suites and all(s in ours | OE_CORE_CASES for s in suites), suites
    assert "openxt_xen" in suites


def test_openxt_xen_case_boots_a_vm_from_what_dom0_carries():
    source = (CASES / "openxt_xen.py").read_text()
    tree = ast.parse(source)
    tests = [n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name.startswith("test_")]
    assert tests == ["test_dom0_on_xen", "test_service_vm_boots"]
    recipe = (REPO_ROOT / "meta-openxt/recipes-images/stubdomain/openxt-stubdomain-initramfs_1.0.bb").read_text()
    for name in ("qemu-stubdom-linux-kernel", "qemu-stubdom-linux-rootfs"):
        assert name in source and name in recipe
    init = (REPO_ROOT / "meta-openxt/recipes-core/openxt-stubdomain-init/files/init").read_text()
    assert 'fail "no target domain"' in init and "stubdomain: no target domain" in source
