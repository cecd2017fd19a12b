"""openxt-tpm-seal: the PCR policy file (one for both TPM families), what each
family's tools are asked to do with it, and what a sealed directory records.
Fake tpm2-tools / tpm-tools record their calls; no TPM is involved."""

from __future__ import annotations

import pytest

from fixtures.tpm import SEAL, SEAL_CONF, Env, leftovers

TPM2_TOOLS = ("tpm2_createprimary", "tpm2_createpolicy", "tpm2_create", "tpm2_load", "tpm2_unseal")
TPM12_TOOLS = ("tpm_sealdata", "tpm_unsealdata")


@pytest.fixture
def env(tmp_path):
    e = Env(tmp_path)
    e.fake(*TPM2_TOOLS, *TPM12_TOOLS)
    e.conf = tmp_path / "tpm-seal.conf"
    e.conf.write_text(SEAL_CONF.read_text())
    e.extra["OPENXT_TPM_SEAL_CONF"] = str(e.conf)
    e.secret = tmp_path / "disk.key"
    e.secret.write_text("0123456789abcdef")
    return e


def family(env: Env, value: str) -> None:
    """What openxt-tpm-select recorded at boot."""
    env.rundir.mkdir(parents=True, exist_ok=True)
    (env.rundir / "family").write_text(f"{value}\n")


def policy_of(directory) -> dict[str, str]:
    return dict(line.split("=", 1) for line in (directory / "policy").read_text().splitlines())


# -- the configuration file ---------------------------------------------------------

def test_shipped_policy_seals_to_the_launch_pcrs(env):
    family(env, "2.0")
    r = env.run(SEAL, "policy")
    assert r.rc == 0, r.err
    assert r.lines == [f"config: {env.conf}", "family: 2.0", "pcrs: 17,18,19", "bank: sha256"]
    family(env, "1.2")
    assert env.run(SEAL, "policy").lines[1:] == ["family: 1.2", "pcrs: 17,18,19", "bank: sha1"]


def test_policy_syntax_quotes_spaces_comments_and_normalised_numbers(env):
    family(env, "2.0")
    env.conf.write_text('# a comment\n\n  PCRS = "0,07,17"  \nTPM2_BANK=sha384\n')
    assert env.run(SEAL, "policy").lines[2:] == ["pcrs: 0,7,17", "bank: sha384"]
    env.conf.write_text("PCRS=17\n")   # TPM2_BANK defaults to sha256
    assert env.run(SEAL, "policy").lines[3] == "bank: sha256"


@pytest.mark.parametrize("text, says", [
    ("PCRS=17,18,24\n", "{conf}: PCRS: PCR 24 is out of range; PCRs are 0-23"),
    ("PCRS=17,,18\n", "{conf}: PCRS: '' is not a PCR number"),
    ("PCRS=17,eighteen\n", "{conf}: PCRS: 'eighteen' is not a PCR number"),
    ("PCRS=17,18,17\n", "{conf}: PCRS: PCR 17 is listed twice"),
    ("PCRS=\n", "{conf}: PCRS: no PCRs; list them comma-separated"),
    ("TPM2_BANK=sha256\n", "{conf}: PCRS is not set; add e.g. PCRS=17,18,19"),
    ("PCRS=17\nTPM2_BANK=md5\n", "{conf}: TPM2_BANK: unknown PCR bank 'md5'; use one of: sha1 sha256 sha384 sha512"),
    ("PCRS=17\nPCR=18\n", "{conf}:2: unknown key PCR; known keys: PCRS TPM2_BANK"),
    ("PCRS=17\nPCRS=18\n", "{conf}:2: PCRS is set twice"),
    ("# policy\nseal to 17 and 18\n", "{conf}:2: 'seal to 17 and 18' is not KEY=value"),
], ids=["out-of-range", "empty-item", "not-a-number", "duplicate-pcr", "empty-list", "missing-pcrs",
        "unknown-bank", "unknown-key", "key-twice", "not-key-value"])
def test_bad_policy_is_exit_2_naming_file_line_and_value_and_seals_nothing(env, text, says):
    family(env, "2.0")
    env.conf.write_text(text)
    for args in (("policy",), ("seal", str(env.secret), str(env.root / "sealed"))):
        r = env.run(SEAL, *args)
        assert r.rc == 2, (args, r.out, r.err)
        assert r.err.startswith(f"openxt-tpm-seal: {says.format(conf=env.conf)}"), r.err
    assert env.calls() == []
    assert not (env.root / "sealed").exists()


def test_unreadable_config(env):
    family(env, "2.0")
    r = env.run(SEAL, "--config", str(env.root / "nope.conf"), "policy")
    assert (r.rc, r.err) == (2, f"openxt-tpm-seal: {env.root / 'nope.conf'}: cannot read it\n")


# -- sealing -------------------------------------------------------------------------

def test_tpm20_seal_builds_a_pcr_policy_from_the_config(env):
    family(env, "2.0")
    env.conf.write_text("PCRS=0,2,17\nTPM2_BANK=sha384\n")
    out = env.root / "sealed"
    r = env.run(SEAL, "seal", str(env.secret), str(out))
    assert r.rc == 0, r.err
    calls = env.calls()
    assert [c[0] for c in calls] == ["tpm2_createprimary", "tpm2_createpolicy", "tpm2_create"]
    assert calls[0][1:7] == ["-Q", "-C", "o", "-g", "sha256", "-G"]
    assert calls[1][1:5] == ["-Q", "--policy-pcr", "-l", "sha384:0,2,17"]
    create = calls[2]
    policy_file = calls[1][calls[1].index("-L") + 1]
    assert create[create.index("-L") + 1] == policy_file
    assert create[create.index("-C") + 1] == calls[0][calls[0].index("-c") + 1]
    assert create[create.index("-i") + 1] == str(env.secret)
    assert create[create.index("-a") + 1] == "fixedtpm|fixedparent|noda|adminwithpolicy"
    # the result was built beside the target and renamed into place
    assert create[create.index("-u") + 1].startswith(f"{out}.tmp.")
    assert sorted(p.name for p in out.iterdir()) == ["policy", "seal.priv", "seal.pub"]
    assert policy_of(out) == {"family": "2.0", "pcrs": "0,2,17", "bank": "sha384"}
    assert leftovers(env.root / "tmp") == []   # the TPM contexts are gone
    assert [p.name for p in env.root.iterdir() if ".tmp." in p.name] == []
    assert "sealed to TPM 2.0 PCRs 0,2,17" in r.err


def test_tpm12_seal_passes_each_pcr(env):
    family(env, "1.2")
    out = env.root / "sealed"
    r = env.run(SEAL, "seal", str(env.secret), str(out))
    assert r.rc == 0, r.err
    (call,) = env.calls()
    assert call[:4] == ["tpm_sealdata", "-z", "-i", str(env.secret)]
    assert call[6:] == ["-p", "17", "-p", "18", "-p", "19"]
    assert sorted(p.name for p in out.iterdir()) == ["policy", "sealed.blob"]
    assert policy_of(out) == {"family": "1.2", "pcrs": "17,18,19", "bank": "sha1"}


def test_secret_from_stdin(env):
    family(env, "1.2")
    r = env.run(SEAL, "seal", "-", str(env.root / "sealed"), stdin="from-a-pipe")
    assert r.rc == 0, r.err
    assert env.calls()[0][3] == "/dev/stdin"


def test_a_failing_tpm_tool_leaves_nothing_behind(env):
    family(env, "2.0")
    out = env.root / "sealed"
    r = env.run(SEAL, "seal", str(env.secret), str(out), FAKE_FAIL="tpm2_create")
    assert r.rc == 1
    assert "openxt-tpm-seal: tpm2_create failed" in r.err
    assert not out.exists()
    assert [p.name for p in env.root.iterdir() if ".tmp." in p.name] == []
    assert leftovers(env.root / "tmp") == []


def test_sealing_over_an_existing_directory_is_refused(env):
    family(env, "2.0")
    out = env.root / "sealed"
    out.mkdir()
    (out / "keep").write_text("old")
    r = env.run(SEAL, "seal", str(env.secret), str(out))
    assert r.rc == 2
    assert f"{out} exists; seal into a new directory" in r.err
    assert [p.name for p in out.iterdir()] == ["keep"]
    assert env.calls() == []


def test_no_tpm_cannot_seal(env):
    family(env, "none")
    r = env.run(SEAL, "seal", str(env.secret), str(env.root / "sealed"))
    assert (r.rc, r.err) == (1, "openxt-tpm-seal: this machine has no TPM\n")


def test_family_comes_from_the_tpm_when_not_recorded(env):
    env.tpm(tpm_version_major="1\n")
    assert env.run(SEAL, "policy").lines[1] == "family: 1.2"
    assert env.run(SEAL, "--family", "2.0", "policy").lines[1] == "family: 2.0"
    r = env.run(SEAL, "--family", "3.0", "policy")
    assert (r.rc, r.err) == (2, "openxt-tpm-seal: --family: '3.0' is not 1.2 or 2.0\n")


# -- unsealing -----------------------------------------------------------------------

def sealed(env: Env, fam: str, **record: str):
    family(env, fam)
    out = env.root / f"sealed-{fam}"
    assert env.run(SEAL, "seal", str(env.secret), str(out)).rc == 0
    if record:
        (out / "policy").write_text("".join(f"{k}={v}\n" for k, v in {**policy_of(out), **record}.items()))
    env.log.unlink()
    return out


def test_tpm20_unseal_uses_the_recorded_policy_not_the_current_config(env):
    out = sealed(env, "2.0")
    env.conf.write_text("PCRS=0\nTPM2_BANK=sha1\n")   # edited after sealing
    r = env.run(SEAL, "unseal", str(out))
    assert r.rc == 0, r.err
    assert r.out == "unsealed-by-tpm2_unseal\n"
    calls = env.calls()
    assert [c[0] for c in calls] == ["tpm2_createprimary", "tpm2_load", "tpm2_unseal"]
    load, unseal = calls[1], calls[2]
    assert load[load.index("-u") + 1] == str(out / "seal.pub")
    assert load[load.index("-r") + 1] == str(out / "seal.priv")
    assert unseal[unseal.index("-c") + 1] == load[load.index("-c") + 1]
    assert unseal[unseal.index("-p") + 1] == "pcr:sha256:17,18,19"


def test_tpm12_unseal_to_a_file(env):
    out = sealed(env, "1.2")
    target = env.root / "key.out"
    r = env.run(SEAL, "unseal", str(out), str(target))
    assert r.rc == 0, r.err
    assert env.calls() == [["tpm_unsealdata", "-z", "-i", str(out / "sealed.blob"), "-o", str(target)]]
    assert target.read_text() == "tpm_unsealdata output\n"


def test_unseal_after_a_tpm_family_change_asks_for_a_new_seal(env):
    out = sealed(env, "1.2")
    family(env, "2.0")
    r = env.run(SEAL, "unseal", str(out))
    assert r.rc == 2
    assert "was sealed to a TPM 1.2, this machine has a TPM 2.0; a TPM family change needs a new seal" in r.err
    assert env.calls() == []


def test_unseal_rejects_a_tampered_or_foreign_record(env):
    out = sealed(env, "2.0", pcrs="17,99")
    r = env.run(SEAL, "unseal", str(out))
    assert r.rc == 2
    assert f"{out}/policy: pcrs: PCR 99 is out of range" in r.err
    (out / "policy").write_text("family=2.0\npcrs=17\n")
    r = env.run(SEAL, "unseal", str(out))
    assert (r.rc, r.err) == (2, f"openxt-tpm-seal: {out}/policy: bank is missing; the directory was not made by "
                                "openxt-tpm-seal\n")
    assert env.calls() == []


def test_a_failing_unseal_is_exit_1_with_the_pcrs(env):
    out = sealed(env, "2.0")
    r = env.run(SEAL, "unseal", str(out), FAKE_FAIL="tpm2_unseal")
    assert r.rc == 1
    assert "tpm2_unseal failed: PCRs sha256:17,18,19 differ from the sealed state?" in r.err


def test_usage(env):
    for args in ((), ("frob",), ("seal", "only-one"), ("unseal",), ("--bogus", "policy")):
        r = env.run(SEAL, *args)
        assert r.rc == 2, args
