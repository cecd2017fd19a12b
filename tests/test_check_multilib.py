"""`oxt check` and multilib: the VMs that carry 32-bit programs, and broken multilib setups."""

from __future__ import annotations

import json

from fixtures.check import expect_problem, run_check
from fixtures.checkout import append, dump_yaml, load_yaml

NDVM_CONF = "meta-openxt/conf/multiconfig/ndvm.conf"


def replace(path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new))


def test_ndvm_is_the_only_multilib_vm_and_carries_lib32_network_slave(shared_checkout):
    rc, out, err = run_check(shared_checkout, "--json")
    assert rc == 0, err
    vms = {vm["name"]: vm for vm in json.loads(out)["vms"]}
    assert vms["ndvm"]["multilib"] == ["lib32"]
    assert vms["ndvm"]["multilib_packages"] == {"lib32": ["lib32-network-slave"]}
    assert all(vm["multilib"] == [] and vm["multilib_packages"] == {} for name, vm in vms.items() if name != "ndvm")
    rc, out, _ = run_check(shared_checkout)
    assert "  ndvm multilib lib32: lib32-network-slave" in out.splitlines()
    assert "multilib" not in "".join(line for line in out.splitlines() if not line.startswith("  ndvm multilib"))


def test_multilibs_without_multilib_conf(checkout):
    replace(checkout / NDVM_CONF, "require conf/multilib.conf\n", "")
    expect_problem(
        checkout, where=NDVM_CONF,
        says=['MULTILIBS = "multilib:lib32"', "without `require conf/multilib.conf`", "no lib32- recipes", "ndvm"],
    )


def test_multilib_variant_without_its_tune(checkout):
    replace(checkout / NDVM_CONF, 'DEFAULTTUNE:virtclass-multilib-lib32 = "x86"\n', "")
    found = expect_problem(
        checkout, where=NDVM_CONF,
        says=["DEFAULTTUNE:virtclass-multilib-lib32 is not set", "multiconfig ndvm", "lib32- packages for the default tune (core2-64)", 'set DEFAULTTUNE:virtclass-multilib-lib32 ("x86"'],
    )
    assert not any("conf/multilib.conf" in p for p in found)


def test_problem_points_at_the_line_setting_multilibs(checkout):
    replace(checkout / NDVM_CONF, 'DEFAULTTUNE:virtclass-multilib-lib32 = "x86"\n', "")
    lines = (checkout / NDVM_CONF).read_text().splitlines()
    line = next(n for n, text in enumerate(lines, 1) if text.startswith("MULTILIBS"))
    expect_problem(checkout, where=f"{NDVM_CONF}:{line}", says=["DEFAULTTUNE:virtclass-multilib-lib32"])


def test_multilib_set_by_a_kas_header_is_checked_there(checkout):
    kas = load_yaml(checkout / "kas/openxt.yml")
    kas["local_conf_header"]["zz-multilib"] = 'MULTILIBS ?= "multilib:lib32"\n'
    dump_yaml(checkout / "kas/openxt.yml", kas)
    found = expect_problem(
        checkout, where="kas/openxt.yml", says=["without `require conf/multilib.conf`", "multiconfig dom0"]
    )
    # ndvm requires multilib.conf itself; every other VM gets MULTILIBS from the header alone.
    assert not any("multiconfig ndvm" in p for p in found)
    assert sum("DEFAULTTUNE:virtclass-multilib-lib32 is not set" in p for p in found) == 4


def test_lib32_packages_of_another_vm_are_listed_separately(checkout):
    append(
        checkout / "meta-openxt/conf/multiconfig/syncvm.conf",
        '\nrequire conf/multilib.conf\nMULTILIBS = "multilib:lib32"\nDEFAULTTUNE:virtclass-multilib-lib32 = "x86"\n',
    )
    append(checkout / "meta-openxt/recipes-images/images/openxt-syncvm-image.bb", '\nIMAGE_INSTALL:append = " lib32-curl"\n')
    rc, out, err = run_check(checkout)
    assert rc == 0, err
    assert "  ndvm multilib lib32: lib32-network-slave" in out.splitlines()
    assert "  syncvm multilib lib32: lib32-curl" in out.splitlines()
