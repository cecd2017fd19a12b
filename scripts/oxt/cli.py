"""Command-line entry point: `oxt <command> …`.

Commands are plugins in :mod:`oxt.plugins` (kas style): each module has
``NAME``, ``HELP``, ``setup_parser(parser)`` and ``run(args) -> int``.
"""

from __future__ import annotations

import argparse
import importlib
import shlex
import sys
from pathlib import Path

from oxt import __version__
from oxt.errors import EXIT_USER_ERROR, OxtUserError

# Order here is the order in `oxt --help`.
PLUGINS = ["check", "render", "parsemask", "bump", "xsa", "xen"]


def _load_plugins():
    return [importlib.import_module(f"oxt.plugins.{name}") for name in PLUGINS]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="oxt",
        description=(
            "Tooling for the meta-openxt layer: check the kas/layer setup and "
            "print the build plan, render versioned recipes from the manifest, "
            "bump Xen, check Xen's patch series as bitbake applies it. Run it from a meta-openxt checkout."
        ),
        epilog="`oxt COMMAND --help` explains each command.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--root",
        type=Path,
        metavar="DIR",
        help="the meta-openxt checkout to work on (default: found from the current directory)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for plugin in _load_plugins():
        # Plugin docstrings are laid out by hand (lists, examples): keep their lines.
        p = sub.add_parser(
            plugin.NAME,
            help=plugin.HELP,
            description=plugin.__doc__,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        plugin.setup_parser(p)
        p.set_defaults(func=plugin.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USER_ERROR
    try:
        _finish_interrupted(args.root, ["oxt", *(sys.argv[1:] if argv is None else argv)])
        return int(args.func(args) or 0)
    except OxtUserError as err:
        # One line per problem, each prefixed, so every line reads on its own.
        for line in str(err).splitlines() or [""]:
            print(f"oxt {args.command}: error: {line}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print(f"oxt {args.command}: interrupted", file=sys.stderr)
        return 130


def _finish_interrupted(root: Path | None, command: list[str]) -> None:
    """Before any command: finish (or undo) what a killed oxt left half-written in this checkout."""
    from oxt import journal
    from oxt.errors import ConfigError
    from oxt.repo import find_checkout

    journal.command_line = shlex.join(command)
    try:
        checkout = find_checkout(root)
    except ConfigError:
        return  # not in a checkout: the command says so itself
    journal.recover(checkout.root)


if __name__ == "__main__":
    sys.exit(main())
