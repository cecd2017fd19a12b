"""`oxt check`: the build plan of the real checkout, and every way to break it."""

from __future__ import annotations

import json
import re

import pytest

from fixtures.check import PREFIX, expect_problem, run_check
from fixtures.checkout import FULL_COMMIT, VMS, append, dump_yaml, load_yaml
from oxt.cli import main


# -- the real checkout ---------------------------------------------------------


def test_plan_lists_every_vm_with_machine_multiconfig_image_and_deploy_dir(shared_checkout):
    rc, out, err = run_check(shared_checkout)
    assert rc == 0, err
    assert err == ""
    for vm in VMS:
        row = next(line for line in out.splitlines() if line.split()[:1] == [vm])
        assert f"meta-openxt/conf/multiconfig/{vm}.conf" in row
        assert f"openxt-{vm}-image" in row
        assert f"build/tmp-{vm}/deploy/images/openxt-{vm}" in row
    assert "waits for mc:stubdomain:openxt-stubdomain-image:do_image_complete (mcdepends" in out
    assert "Also checked: kas build kas/openxt.yml:kas/" in out


def test_json_plan_has_pinned_upstream_repos_and_one_vm_per_target(shared_checkout):
    rc, out, _ = run_check(shared_checkout, "--json")
    assert rc == 0
    plan = json.loads(out)
    kas = load_yaml(shared_checkout / "kas" / "openxt.yml")
    assert [vm["target"] for vm in plan["vms"]] == kas["target"]
    assert sorted(plan["bbmulticonfig"]) == sorted(VMS)
    for vm in plan["vms"]:
        assert vm["machine"] == f"openxt-{vm['name']}"
        assert vm["deploy_dir"] == f"build/tmp-{vm['name']}/deploy/images/openxt-{vm['name']}"
    upstream = [r for r in plan["repos"] if not r["local"]]
    assert {r["name"] for r in upstream} >= {"bitbake", "openembedded-core", "meta-openembedded", "meta-virtualization"}
    for repo in upstream:
        assert FULL_COMMIT.fullmatch(repo["commit"]), repo
        assert repo["branch"] and repo["url"].startswith("https://")
    assert plan["lockfiles"] == ["kas/openxt.lock.yml"]


def test_plan_of_one_composition(shared_checkout):
    fragments = sorted(p.name for p in (shared_checkout / "kas").glob("*.yml") if p.name != "openxt.yml" and ".lock." not in p.name)
    assert fragments, "no kas fragments"
    spec = f"kas/openxt.yml:kas/{fragments[0]}"
    rc, out, err = run_check(shared_checkout, "--kas", spec)
    assert rc == 0, err
    assert out.startswith(f"Build plan for kas build {spec}\n")
    assert "Also checked" not in out


def test_runs_from_a_subdirectory_without_root(capsys, shared_checkout, monkeypatch):
    monkeypatch.chdir(shared_checkout / "meta-openxt" / "conf")
    assert main(["check", "--kas", "kas/openxt.yml"]) == 0
    assert "Build plan for kas build kas/openxt.yml" in capsys.readouterr().out


# -- layer consistency: bad cases in copies of the checkout ------------------------


def test_missing_machine(checkout):
    (checkout / "meta-openxt-bsp/conf/machine/openxt-ndvm.conf").unlink()
    expect_problem(
        checkout, where="meta-openxt/conf/multiconfig/ndvm.conf",
        says=['MACHINE = "openxt-ndvm"', "no conf/machine/openxt-ndvm.conf", "add the machine"],
    )


def test_missing_image(checkout):
    (checkout / "meta-openxt/recipes-images/images/openxt-uivm-image.bb").unlink()
    expect_problem(
        checkout, where="kas/openxt.yml",
        says=["target mc:uivm:openxt-uivm-image", "no recipe openxt-uivm-image.bb"],
    )


def test_missing_multiconfig(checkout):
    (checkout / "meta-openxt/conf/multiconfig/syncvm.conf").unlink()
    expect_problem(
        checkout, where="kas/openxt.yml",
        says=["target mc:syncvm:openxt-syncvm-image", "no conf/multiconfig/syncvm.conf"],
    )


def _mcdepends_file(checkout):
    return next(p for p in (checkout / "meta-openxt").rglob("*.bb") if "[mcdepends]" in p.read_text())


def test_mcdepends_on_a_multiconfig_that_is_not_built(checkout):
    (checkout / "meta-openxt/conf/multiconfig/stubdomain.conf").unlink()
    where = str(_mcdepends_file(checkout).relative_to(checkout))
    found = expect_problem(
        checkout, where=f"{where}:",
        says=["mcdepends", "'stubdomain'", "no conf/multiconfig/stubdomain.conf"],
    )
    assert any("target mc:stubdomain:" in p for p in found)


def test_mcdepends_on_a_multiconfig_no_target_enables(checkout):
    kas = load_yaml(checkout / "kas/openxt.yml")
    kas["target"] = [t for t in kas["target"] if not t.startswith("mc:stubdomain:")]
    headers = kas["local_conf_header"]
    for key, value in headers.items():
        if "BBMULTICONFIG" in value:
            headers[key] = value.replace(" stubdomain", "")
    dump_yaml(checkout / "kas/openxt.yml", kas)
    where = str(_mcdepends_file(checkout).relative_to(checkout))
    expect_problem(
        checkout, where=f"{where}:",
        says=["multiconfig 'stubdomain' is not in BBMULTICONFIG", "add a target mc:stubdomain:"],
    )


def test_mcdepends_from_another_multiconfig_is_silently_ignored_by_bitbake(checkout):
    append(
        checkout / "meta-openxt/recipes-images/images/openxt-uivm-image.bb",
        '\ndo_image[mcdepends] += "mc:ndvm:stubdomain:openxt-stubdomain-image:do_image_complete"\n',
    )
    expect_problem(
        checkout, where="meta-openxt/recipes-images/images/openxt-uivm-image.bb:",
        says=["only applies in multiconfig ndvm", "built in uivm", "mc:${BB_CURRENT_MC}:stubdomain:"],
    )


def test_shared_tmpdir(checkout):
    conf = checkout / "meta-openxt/conf/multiconfig/syncvm.conf"
    ndvm = (checkout / "meta-openxt/conf/multiconfig/ndvm.conf").read_text()
    tmpdir = next(line for line in ndvm.splitlines() if line.startswith("TMPDIR"))
    conf.write_text(re.sub(r"^TMPDIR.*$", tmpdir, conf.read_text(), flags=re.M))
    expect_problem(
        checkout, where="meta-openxt/conf/multiconfig/",
        says=["is also the TMPDIR of multiconfig", "needs its own TMPDIR"],
    )


def test_multiconfig_without_tmpdir(checkout):
    conf = checkout / "meta-openxt/conf/multiconfig/uivm.conf"
    conf.write_text(re.sub(r"^TMPDIR.*\n", "", conf.read_text(), flags=re.M))
    expect_problem(
        checkout, where="meta-openxt/conf/multiconfig/uivm.conf", says=["TMPDIR is not set"]
    )


def test_autorev_anywhere_in_the_layer(checkout):
    append(checkout / "meta-openxt/conf/distro/openxt.conf", '\nSRCREV:pn-icbinn = "${AUTOREV}"\n')
    lines = (checkout / "meta-openxt/conf/distro/openxt.conf").read_text().count("\n")
    expect_problem(
        checkout, where=f"meta-openxt/conf/distro/openxt.conf:{lines}",
        says=["AUTOREV", "pin a full 40-hex SRCREV"],
    )


def test_autorev_in_a_kas_header(checkout):
    kas = load_yaml(checkout / "kas/openxt.yml")
    kas.setdefault("local_conf_header", {})["zz-dev"] = 'SRCREV:pn-xen = "${AUTOREV}"\n'
    dump_yaml(checkout / "kas/openxt.yml", kas)
    expect_problem(checkout, where="kas/openxt.yml", says=["local_conf_header.zz-dev", "AUTOREV"])


def test_short_srcrev_in_a_kas_header(checkout):
    kas = load_yaml(checkout / "kas/openxt.yml")
    kas.setdefault("local_conf_header", {})["zz-pin"] = '# pin\nSRCREV:pn-xen = "deadbeef"\n'
    dump_yaml(checkout / "kas/openxt.yml", kas)
    expect_problem(
        checkout, where="kas/openxt.yml",
        says=["local_conf_header.zz-pin line 2", "SRCREV:pn-xen = 'deadbeef'", "not a full 40-hex commit"],
    )


def test_short_srcrev(checkout):
    recipe = checkout / "meta-openxt/recipes-support/hello/hello_1.0.bb"
    recipe.parent.mkdir(parents=True, exist_ok=True)
    recipe.write_text('SUMMARY = "x"\nLICENSE = "MIT"\nSRC_URI = "git://example.org/hello;branch=main;protocol=https"\nSRCREV = "1a2b3c4d"\n')
    expect_problem(
        checkout, where="meta-openxt/recipes-support/hello/hello_1.0.bb:4",
        says=['SRCREV = "1a2b3c4d" is not a full 40-hex commit'],
    )


def test_srcrev_through_a_variable_is_resolved(checkout):
    recipe = checkout / "meta-openxt/recipes-support/hello/hello_1.0.bb"
    recipe.parent.mkdir(parents=True, exist_ok=True)
    recipe.write_text('HELLO_REV = "' + "c0ffee" * 6 + 'abcd"\nSRCREV_hello = "${HELLO_REV}"\n')
    append(checkout / "meta-openxt/recipes-images/images/openxt-syncvm-image.bb", 'IMAGE_INSTALL += "hello"\n')
    rc, _, err = run_check(checkout)
    assert rc == 0, err


def test_recipe_outside_bbfiles(checkout):
    stray = checkout / "meta-openxt/recipes-images/openxt-extra-image.bb"
    stray.write_text('SUMMARY = "x"\n')
    expect_problem(checkout, where="meta-openxt/recipes-images/openxt-extra-image.bb", says=["not matched by BBFILES"])


def test_bbmulticonfig_header_must_match_the_targets(checkout):
    kas = load_yaml(checkout / "kas/openxt.yml")
    kas.setdefault("local_conf_header", {})["zz-mc"] = 'BBMULTICONFIG = "dom0 ndvm"\n'
    dump_yaml(checkout / "kas/openxt.yml", kas)
    found = expect_problem(
        checkout, where="kas/openxt.yml", says=["local_conf_header.zz-mc", "lacks uivm", "a target's multiconfig"]
    )
    assert any("is not in BBMULTICONFIG" in p for p in found)  # dom0's mcdepends on stubdomain


def test_bbmulticonfig_left_to_kas_is_refused(checkout):
    # kas joins the multiconfigs from a set: a new order on each run, a full reparse each time.
    kas = load_yaml(checkout / "kas/openxt.yml")
    headers = kas["local_conf_header"]
    for key in [k for k, v in headers.items() if "BBMULTICONFIG" in v]:
        del headers[key]
    dump_yaml(checkout / "kas/openxt.yml", kas)
    expect_problem(
        checkout,
        where="kas/openxt.yml",
        says=["BBMULTICONFIG is left to kas", "parse cache", 'BBMULTICONFIG = "dom0 ndvm stubdomain syncvm uivm"'],
    )


# -- kas pins and files -----------------------------------------------------------


def _lock(checkout) -> dict:
    lock = checkout / "kas/openxt.lock.yml"
    if lock.exists():
        return load_yaml(lock)
    return {"header": {"version": load_yaml(checkout / "kas/openxt.yml")["header"]["version"]}, "overrides": {"repos": {}}}


def _unpin(checkout, name):
    kas = load_yaml(checkout / "kas/openxt.yml")
    kas["repos"][name].pop("commit", None)
    dump_yaml(checkout / "kas/openxt.yml", kas)
    data = _lock(checkout)
    data.get("overrides", {}).get("repos", {}).pop(name, None)
    dump_yaml(checkout / "kas/openxt.lock.yml", data)


def test_unpinned_upstream_repo(checkout):
    _unpin(checkout, "meta-virtualization")
    expect_problem(checkout, where="kas/openxt.yml", says=["repos.meta-virtualization", "has no commit", "kas lock"])


def test_short_kas_commit(checkout):
    kas = load_yaml(checkout / "kas/openxt.yml")
    kas["repos"]["bitbake"]["commit"] = "abc1234"
    dump_yaml(checkout / "kas/openxt.yml", kas)
    data = _lock(checkout)
    data.get("overrides", {}).get("repos", {}).pop("bitbake", None)
    dump_yaml(checkout / "kas/openxt.lock.yml", data)
    expect_problem(checkout, where="kas/openxt.yml", says=["repos.bitbake.commit", "'abc1234'", "not a full 40-hex"])


def test_repo_with_a_commit_but_no_branch(checkout):
    kas = load_yaml(checkout / "kas/openxt.yml")
    kas["repos"]["openembedded-core"].pop("branch")
    kas["repos"]["openembedded-core"]["commit"] = "5" * 40
    dump_yaml(checkout / "kas/openxt.yml", kas)
    expect_problem(checkout, where="kas/openxt.yml", says=["repos.openembedded-core", "no branch"])


def test_repo_with_neither_branch_nor_commit_is_refused_by_kas(checkout):
    kas = load_yaml(checkout / "kas/openxt.yml")
    kas["repos"]["openembedded-core"].pop("branch")
    kas["repos"]["openembedded-core"].pop("commit", None)
    dump_yaml(checkout / "kas/openxt.yml", kas)
    found = expect_problem(
        checkout, where="kas/openxt.yml", says=["kas cannot compose it", '"openembedded-core"']
    )
    assert len(found) == 1, "fragments compose onto the broken release file: report it once"


def test_lock_that_disagrees_with_the_kas_file(checkout):
    kas = load_yaml(checkout / "kas/openxt.yml")
    kas["repos"]["bitbake"]["commit"] = "0" * 40
    dump_yaml(checkout / "kas/openxt.yml", kas)
    lock = _lock(checkout)
    lock.setdefault("overrides", {}).setdefault("repos", {})["bitbake"] = {"commit": "1" * 40}
    dump_yaml(checkout / "kas/openxt.lock.yml", lock)
    expect_problem(checkout, where="kas/openxt.lock.yml", says=["overrides.repos.bitbake.commit", "differs from"])


def test_stale_lock_entry(checkout):
    lock = _lock(checkout)
    lock.setdefault("overrides", {}).setdefault("repos", {})["meta-gone"] = {"commit": "2" * 40}
    dump_yaml(checkout / "kas/openxt.lock.yml", lock)
    expect_problem(checkout, where="kas/openxt.lock.yml", says=["overrides.repos.meta-gone", "no repo"])


def test_distro_not_set(checkout):
    kas = load_yaml(checkout / "kas/openxt.yml")
    kas.pop("distro")
    dump_yaml(checkout / "kas/openxt.yml", kas)
    expect_problem(checkout, where="kas/openxt.yml", says=["distro: not set", "poky"])


def test_malformed_kas_yaml(checkout):
    (checkout / "kas/ci.yml").write_text("header:\n  version: 17\nlocal_conf_header: [\n")
    expect_problem(checkout, where="kas/ci.yml", says=["kas rejects the file", "not valid YAML", "line"])


def test_duplicate_key_in_a_kas_file(checkout):
    # PyYAML (and so kas) would keep only the second block without a word.
    ci = checkout / "kas/ci.yml"
    text = ci.read_text()
    assert "\nlocal_conf_header:\n" in text
    ci.write_text(text + "\nlocal_conf_header:\n  openxt-ci: |\n    INHERIT += \"rm_work\"\n")
    dup_line = text.count("\n") + 2
    expect_problem(
        checkout,
        where=f"kas/ci.yml:{dup_line}",
        says=["key 'local_conf_header' appears twice", "kas silently keeps only the last one"],
    )


def test_kas_schema_violation_names_the_key(checkout):
    kas = load_yaml(checkout / "kas/openxt.yml")
    kas["repos"]["bitbake"]["comit"] = "f" * 40
    dump_yaml(checkout / "kas/openxt.yml", kas)
    expect_problem(checkout, where="kas/openxt.yml", says=["repos.bitbake", "'comit'", "kas 5.5's schema"])


def test_unknown_fragment(checkout):
    expect_problem_line = run_check(checkout, "--kas", "kas/openxt.yml:kas/nope.yml")
    rc, out, err = expect_problem_line
    assert rc == 2 and out == ""
    assert err.startswith(PREFIX) and len(err.splitlines()) == 1
    assert "'kas/nope.yml'" in err and "known kas files: kas/openxt.yml" in err


def test_a_broken_fragment_is_caught_when_composed(checkout):
    fragment = checkout / "kas/zz-broken.yml"
    dump_yaml(fragment, {"header": {"version": 17}, "target": ["mc:nosuchvm:openxt-dom0-image"]})
    expect_problem(
        checkout, where="kas/zz-broken.yml", says=["target mc:nosuchvm:openxt-dom0-image", "no conf/multiconfig/nosuchvm.conf"]
    )


def test_all_problems_are_reported_at_once(checkout):
    (checkout / "meta-openxt-bsp/conf/machine/openxt-ndvm.conf").unlink()
    (checkout / "meta-openxt/recipes-images/images/openxt-uivm-image.bb").unlink()
    append(checkout / "meta-openxt/conf/distro/openxt.conf", '\nSRCREV:pn-x = "${AUTOREV}"\n')
    found = expect_problem(checkout, where="meta-openxt/conf/multiconfig/ndvm.conf", says=["openxt-ndvm"])
    assert any("no recipe openxt-uivm-image.bb" in p for p in found)
    assert any("AUTOREV" in p for p in found)


def test_not_a_checkout(tmp_path):
    rc, out, err = run_check(tmp_path)
    assert rc == 2 and out == ""
    assert err.startswith(PREFIX) and "not inside a meta-openxt checkout" in err


# -- multilib: the plan lists each VM's 32-bit packages --------------------------------


def test_multilib_packages_are_listed_per_vm(checkout):
    append(
        checkout / "meta-openxt/conf/multiconfig/syncvm.conf",
        '\nrequire conf/multilib.conf\nMULTILIBS = "multilib:lib32"\nDEFAULTTUNE:virtclass-multilib-lib32 = "x86"\n',
    )
    append(checkout / "meta-openxt/recipes-images/images/openxt-syncvm-image.bb", '\nIMAGE_INSTALL += "lib32-glibc lib32-zlib"\n')
    rc, out, err = run_check(checkout)
    assert rc == 0, err
    assert "syncvm multilib lib32: lib32-glibc lib32-zlib" in out
    rc, out, _ = run_check(checkout, "--json")
    syncvm = next(vm for vm in json.loads(out)["vms"] if vm["name"] == "syncvm")
    assert syncvm["multilib"] == ["lib32"]
    assert syncvm["multilib_packages"] == {"lib32": ["lib32-glibc", "lib32-zlib"]}


def test_lib32_package_without_multilib(checkout):
    append(checkout / "meta-openxt/recipes-images/images/openxt-uivm-image.bb", '\nIMAGE_INSTALL:append = " lib32-zlib"\n')
    expect_problem(
        checkout, where="meta-openxt/recipes-images/images/openxt-uivm-image.bb",
        says=["lib32-zlib", "enables no lib32 multilib", "MULTILIBS"],
    )


@pytest.mark.parametrize("vm", ["ndvm"])

def test_multilib_from_a_kas_header_applies_to_every_multiconfig(checkout, vm):
    kas = load_yaml(checkout / "kas/openxt.yml")
    kas.setdefault("local_conf_header", {})["zz-multilib"] = 'require conf/multilib.conf\nMULTILIBS ?= "multilib:lib32"\nDEFAULTTUNE:virtclass-multilib-lib32 = "x86"\n'
    dump_yaml(checkout / "kas/openxt.yml", kas)
    rc, out, err = run_check(checkout, "--json")
    assert rc == 0, err
    assert all(v["multilib"] == ["lib32"] for v in json.loads(out)["vms"])


def test_package_from_a_layer_the_kas_files_leave_out(checkout):
    recipe = checkout / "meta-extra/recipes-extra/extra-tool/extra-tool_1.0.bb"
    recipe.parent.mkdir(parents=True)
    recipe.write_text('SUMMARY = "x"\nLICENSE = "MIT"\n')
    (checkout / "meta-extra/conf").mkdir()
    (checkout / "meta-extra/conf/layer.conf").write_text(
        (checkout / "meta-openxt/conf/layer.conf").read_text().replace("openxt", "extra")
    )
    append(checkout / "meta-openxt/recipes-images/images/openxt-uivm-image.bb", '\nIMAGE_INSTALL += "extra-tool"\n')
    expect_problem(
        checkout, where="meta-openxt/recipes-images/images/openxt-uivm-image.bb",
        says=["IMAGE_INSTALL has extra-tool", "meta-extra/recipes-extra/extra-tool/extra-tool_1.0.bb", "layer meta-extra is not in"],
    )
