"""Load and validate kas files through kas itself.

Nothing here re-implements kas: a single file is loaded by kas's own
``ConfigFile.load`` (YAML, schema, file-format version) and a composition
``a.yml:b.yml`` is merged by kas's ``Config``/``IncludeHandler`` (includes,
automatic ``<file>.lock.yml`` injection, ``overrides``), with repositories
built by kas's ``Repo.factory``. What we add is error reporting: every schema
violation named by its key path, one line each, instead of kas's log lines.
"""

from __future__ import annotations

import contextlib
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import yaml
from jsonschema.validators import validator_for

import kas
import kas.context
from kas.config import Config
from kas.includehandler import ConfigFile
from kas.kasusererror import KasUserError

from oxt.errors import ConfigError
from oxt.problems import Problem, ProblemsFound

MAIN_KAS_FILE = "openxt.yml"
KAS_SUFFIXES = (".yml", ".yaml", ".json")
SCHEMA_DOC = f"https://kas.readthedocs.io/en/{kas.__version__}/userguide/project-configuration.html"


def is_lockfile(path: Path) -> bool:
    """kas names the lock of ``x.yml`` ``x.lock.yml`` (IncludeHandler.get_lock_filename)."""
    return path.suffix in KAS_SUFFIXES and Path(path.stem).suffix == ".lock"


def rel(path: Path, root: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


@dataclass(frozen=True)
class KasSet:
    """The kas files of a checkout: the release file, its fragments, the locks."""

    main: Path
    fragments: tuple[Path, ...]
    locks: tuple[Path, ...]

    @property
    def all(self) -> tuple[Path, ...]:
        return (self.main, *self.fragments, *self.locks)


def discover(kas_dir: Path) -> KasSet:
    if not kas_dir.is_dir():
        raise ConfigError(f"{kas_dir}: no kas directory; the checkout needs kas/{MAIN_KAS_FILE}")
    files = sorted(p for p in kas_dir.iterdir() if p.is_file() and p.suffix in KAS_SUFFIXES)
    main = kas_dir / MAIN_KAS_FILE
    if main not in files:
        raise ConfigError(f"{main}: missing; it is the release build every fragment is composed with")
    locks = tuple(p for p in files if is_lockfile(p))
    fragments = tuple(p for p in files if p != main and p not in locks)
    return KasSet(main, fragments, locks)


def parse_spec(spec: str, root: Path, kas_dir: Path) -> list[Path]:
    """``FILE[:FRAGMENT...]`` as on kas's command line -> existing paths.

    Paths are taken relative to the current directory (as kas does), falling
    back to the checkout root so ``--kas kas/openxt.yml:kas/ci.yml`` works
    from anywhere inside the checkout.
    """
    paths = []
    for part in spec.split(":"):
        if not part:
            raise ConfigError(f"--kas {spec!r}: empty file name; use FILE[:FRAGMENT...] like kas")
        # Relative to the current directory as for kas, or to the checkout root;
        # never a file of another checkout.
        candidates = [Path(part).absolute(), root / part]
        found = next((p for p in candidates if p.is_file() and p.resolve().is_relative_to(root.resolve())), None)
        if found is None:
            known = ", ".join(rel(p, root) for p in discover(kas_dir).all) if kas_dir.is_dir() else "none"
            raise ConfigError(
                f"--kas {spec!r}: no kas file {part!r}; known kas files: {known}"
            )
        paths.append(found.resolve())
    return paths


class _Collect(logging.Handler):
    """Keeps kas's log records so they become problems instead of stray output."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


@contextlib.contextmanager
def _kas_logs():
    handler = _Collect()
    root_logger = logging.getLogger()
    root_logger.addHandler(handler)
    try:
        yield handler.records
    finally:
        root_logger.removeHandler(handler)


@contextlib.contextmanager
def kas_context():
    """A kas global context for the duration of a load (kas's Repo code needs one).

    ``unpinned_repo_warnings`` is off: unpinned repos are our own, sharper check.
    """
    saved = kas.context.get_context()
    try:
        with _kas_logs():  # host-specific noise (unknown distro) is not a config problem
            ctx = kas.context.create_global_context(SimpleNamespace(no_color=True, update=False))
    except KasUserError as err:
        raise ConfigError(f"kas cannot start: {err}; check the KAS_* environment variables") from None
    ctx.unpinned_repo_warnings = False
    try:
        yield ctx
    finally:
        kas.context.__context__ = saved


def _key_path(error) -> str:
    return ".".join(str(k) for k in error.absolute_path) or "(top level)"


def _deepest(error):
    """For anyOf/oneOf failures, the alternative that got furthest names the real key."""
    while error.context:
        error = max(error.context, key=lambda e: (len(e.absolute_path), -len(e.message)))
    return error


def _schema_problems(path: Path, root: Path) -> list[Problem]:
    """Every violation of kas's schema, with the key path (kas only logs them)."""
    with open(path, "rb") as fh:
        data = json.load(fh) if path.suffix == ".json" else yaml.safe_load(fh)
    validator = validator_for(kas.CONFIGSCHEMA)(kas.CONFIGSCHEMA)
    problems = []
    for error in sorted(validator.iter_errors(data), key=lambda e: (list(map(str, e.absolute_path)), e.message)):
        detail = _deepest(error)
        problems.append(
            Problem(
                rel(path, root),
                f"{_key_path(detail)}: {detail.message}",
                f"fix it to match kas {kas.__version__}'s schema ({SCHEMA_DOC})",
            )
        )
    return problems


class _DuplicateKeyFinder(yaml.SafeLoader):
    """kas reads YAML with PyYAML, which lets a repeated key silently replace the
    first one (e.g. two local_conf_header blocks of the same name): find them."""

    def __init__(self, stream):
        super().__init__(stream)
        self.duplicates: list[tuple[str, int]] = []

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in seen:
                self.duplicates.append((str(key), key_node.start_mark.line + 1))
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _duplicate_key_problems(path: Path, root: Path) -> list[Problem]:
    if path.suffix == ".json":
        return []
    try:
        with open(path, "rb") as fh:
            loader = _DuplicateKeyFinder(fh)
            try:
                loader.get_single_data()
            finally:
                loader.dispose()
    except (OSError, yaml.YAMLError):
        return []  # kas's own loader reports these
    return [
        Problem(
            f"{rel(path, root)}:{line}",
            f"key {key!r} appears twice in the same mapping; kas silently keeps only the last one",
            "merge the two entries or rename one",
        )
        for key, line in loader.duplicates
    ]


def validate_file(path: Path, root: Path, is_main_file: bool = True) -> list[Problem]:
    """Load one kas file with kas's ConfigFile.load; [] when kas accepts it."""
    where = rel(path, root)
    duplicates = _duplicate_key_problems(path, root)
    if duplicates:
        return duplicates
    with _kas_logs() as records:
        try:
            ConfigFile.load(str(path), is_lockfile=is_lockfile(path), is_main_file=is_main_file)
        except KasUserError as err:
            if any("validation" in r.getMessage().lower() for r in records):
                found = _schema_problems(path, root)
                if found:
                    return found
            message = str(err).replace(f": {path}", "")
            return [Problem(where, f"kas rejects the file: {message}", "fix the file (kas's own loader said so)")]
        except OSError as err:
            return [Problem(where, f"cannot read: {err.strerror}", "check the file exists and is readable")]
    return [
        Problem(where, f"kas warns: {r.getMessage()}", "fix the file so kas loads it without warnings")
        for r in records
    ]


@dataclass(frozen=True)
class RepoPin:
    """A repository of the composition as kas resolves it (overrides applied)."""

    name: str
    url: str | None  # None: this checkout (no url in the kas file)
    branch: str | None
    commit: str | None
    tag: str | None
    path: Path
    layers: tuple[str, ...]
    defined_in: str  # kas file that defines repos.<name>
    commit_from: str | None  # kas or lock file that supplied the effective commit

    @property
    def local(self) -> bool:
        return self.url is None


@dataclass
class Composition:
    """What kas sees for ``a.yml:b.yml``: merged config + where each key came from."""

    root: Path
    files: list[Path]  # as given on the command line
    loaded: list[tuple[Path, dict, bool]]  # every file kas merged: (path, config, is_lockfile)
    config: dict
    repos: list[RepoPin] = field(default_factory=list)

    @property
    def spec(self) -> str:
        return ":".join(rel(p, self.root) for p in self.files)

    @property
    def lockfiles(self) -> list[Path]:
        return [p for p, _, lock in self.loaded if lock]

    @property
    def targets(self) -> list[str]:
        target = self.config.get("target", kas.CONFIGSCHEMA["properties"]["target"]["default"])
        return [target] if isinstance(target, str) else list(target)

    @property
    def machine(self) -> str:
        return self.config.get("machine", kas.CONFIGSCHEMA["properties"]["machine"]["default"])

    @property
    def distro(self) -> str | None:
        return self.config.get("distro")

    @property
    def local_conf_header(self) -> dict[str, str]:
        return dict(self.config.get("local_conf_header") or {})

    def origin(self, *keys: str) -> str:
        """The last kas file that sets ``keys`` (kas merges later over earlier)."""
        found = None
        for path, cfg, _ in self.loaded:
            node = cfg
            for key in keys:
                if not isinstance(node, dict) or key not in node:
                    break
                node = node[key]
            else:
                found = path
        return rel(found or self.files[0], self.root)


def compose(files: list[Path], root: Path) -> Composition:
    """Merge ``files`` exactly as ``kas build a.yml:b.yml`` would.

    Each file is first validated on its own so schema mistakes are reported
    per key; only then does kas merge them.
    """
    problems = []
    for index, path in enumerate(files):
        problems += validate_file(path, root, is_main_file=index == 0)
    if problems:
        raise ProblemsFound(problems, "kas")

    spec = ":".join(rel(p, root) for p in files)
    with kas_context() as ctx, _kas_logs() as records:
        try:
            config = Config(ctx, ":".join(str(p) for p in files))
            missing = config.find_missing_repos()
            loaded = [
                (Path(cf.filename), cf.config, cf.is_lockfile) for cf in config.handler.config_files
            ]
            comp = Composition(root, list(files), loaded, config.get_config())
            if missing:
                raise ProblemsFound(
                    [
                        Problem(
                            comp.origin("header", "includes"),
                            f"header.includes: needs repo {name!r} checked out",
                            "oxt check works offline: include files of this checkout only",
                        )
                        for name in missing
                    ],
                    "kas",
                )
            # Repo-level files must validate too (lock files kas injected).
            for path, _, lock in loaded:
                if lock and path not in files:
                    problems += validate_file(path, root, is_main_file=False)
            comp.repos = [_pin(comp, repo, config) for repo in config.get_repos()]
        except KasUserError as err:
            raise ProblemsFound(
                [Problem(spec, f"kas cannot compose it: {err}", "fix the kas files named")], "kas"
            ) from None
    problems += [
        Problem(spec, f"kas warns: {r.getMessage()}", "fix the kas files so kas composes them without warnings")
        for r in records
    ]
    if problems:
        raise ProblemsFound(problems, "kas")
    return comp


def _pin(comp: Composition, repo, config: Config) -> RepoPin:
    raw = config.get_repos_config().get(repo.name) or {}
    local = "url" not in raw
    overrides = comp.config.get("overrides", {}).get("repos", {}).get(repo.name, {}) or {}
    if "commit" in overrides:
        commit_from = comp.origin("overrides", "repos", repo.name, "commit")
    elif repo.commit and not local:
        commit_from = comp.origin("repos", repo.name, "commit")
    else:
        commit_from = None
    return RepoPin(
        name=repo.name,
        url=None if local else repo.url,
        branch=repo.branch,
        commit=repo.commit,
        tag=repo.tag,
        path=Path(repo.path),
        layers=tuple(layer.name for layer in repo.layers),
        defined_in=comp.origin("repos", repo.name),
        commit_from=commit_from,
    )
