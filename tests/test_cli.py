"""The `oxt` command line: --version, --help, and user errors without tracebacks."""

from __future__ import annotations

import pytest

import oxt
from fixtures.checkout import append, oxt as run_oxt
from oxt.cli import PLUGINS, build_parser, main
from oxt.errors import OxtUserError


def test_version():
    result = run_oxt("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"oxt {oxt.__version__}"


def test_help_lists_every_command_with_its_summary():
    result = run_oxt("--help")
    assert result.returncode == 0
    assert "usage: oxt" in result.stdout
    for name in PLUGINS:
        assert name in result.stdout
    assert "validate the kas files and the layer" in result.stdout


@pytest.mark.parametrize("command", PLUGINS)
def test_each_command_has_a_help_page_with_its_description(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert f"usage: oxt {command}" in out
    plugin = __import__(f"oxt.plugins.{command}", fromlist=["NAME"])
    first_line = plugin.__doc__.strip().splitlines()[0]
    assert first_line in out


def test_check_help_explains_compositions_and_json(capsys):
    with pytest.raises(SystemExit):
        main(["check", "--help"])
    out = capsys.readouterr().out
    assert "--kas FILE[:FRAGMENT...]" in out and "--json" in out
    assert "exits with status 2" in out


def test_no_command_prints_help_and_fails(capsys):
    assert main([]) == 2
    assert "usage: oxt" in capsys.readouterr().out


def test_unknown_option_is_an_argparse_error():
    result = run_oxt("check", "--no-such-option")
    assert result.returncode == 2
    assert "unrecognized arguments: --no-such-option" in result.stderr
    assert "Traceback" not in result.stderr


def test_multi_line_user_error_prints_one_prefixed_line_each(monkeypatch, capsys):
    def fail(args):
        raise OxtUserError("a.yml: first\nb.yml: second")

    parser = build_parser()
    monkeypatch.setattr("oxt.cli.build_parser", lambda: parser)
    parser._subparsers._group_actions[0].choices["check"].set_defaults(func=fail)
    assert main(["check"]) == 2
    assert capsys.readouterr().err.splitlines() == ["oxt check: error: a.yml: first", "oxt check: error: b.yml: second"]


@pytest.mark.parametrize(
    "breakage, args",
    [
        ("none", ["--root", "/", "check"]),
        ("none", ["check", "--kas", "kas/openxt.yml:kas/missing.yml"]),
        ("none", ["check", "--kas", "kas/openxt.yml::"]),
        ("yaml", ["check"]),
        ("machine", ["check", "--json"]),
        ("autorev", ["check"]),
    ],
)
def test_user_errors_exit_2_without_traceback(checkout, breakage, args):
    if breakage == "yaml":
        (checkout / "kas" / "ci.yml").write_text("header: {version: 17\n")
    elif breakage == "machine":
        (checkout / "meta-openxt-bsp" / "conf" / "machine" / "openxt-dom0.conf").unlink()
    elif breakage == "autorev":
        append(checkout / "meta-openxt" / "conf" / "layer.conf", 'SRCREV:pn-x = "${AUTOREV}"\n')
    result = run_oxt(*args, cwd=checkout)
    assert result.returncode == 2, result
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines and all(line.startswith("oxt check: error: ") for line in lines), result.stderr
