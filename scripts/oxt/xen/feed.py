"""The Xen security team's advisory feed: index, per-advisory ``.meta``,
signed advisory text and patch files — downloaded, cached and verified.

The published layout (https://xenbits.xen.org/xsa/, the default ``--feed``)::

    xsa.json            the index: [{"xsas": [{"xsa": 494, "title": "...",
                        "public_time": "2026-...", "cve": ["CVE-..."], ...}, ...]}]
    xsa494.meta         JSON, one per advisory (George Dunlap's xsatool "recipes"):
                        {"XSA": 494, "SupportedVersions": ["master", "4.21", ...],
                         "Trees": ["xen"],
                         "Recipes": {"4.20": {"XenVersion": "4.20",
                                              "Recipes": {"xen": {"StableRef": "<sha>",
                                                                  "Prereqs": [490],
                                                                  "Patches": ["xsa494-4.20.patch"]}}},
                                     "master": {...}}}
                        ("Patches" entries may be globs: "xsa237-4.5/*")
    advisory-494.txt    the advisory, PGP clear-signed with the Xen.org signing key (pgp@xen.org,
                        oxt.xen.defaults.XEN_SIGNING_KEY, the key of the release tags); its
                        RESOLUTION section lists every patch file under "$ sha256sum xsa494*"
    xsa494-4.20.patch   the patch files (or a directory xsa494-4.20/ of a series)

The sha256 list inside the signed text is the chain of trust: a patch is
used only if its sha256 is the one the advisory lists for that name. Unknown
keys are ignored everywhere; a malformed index or ``.meta`` is an
:class:`FeedError` naming the file, the advisory and the key.

Caching (``$OXT_XSA_CACHE`` or ``<XDG cache>/oxt/xsa/<feed>/``): the index is
revalidated on every run (conditional GET); an advisory's ``.meta`` and text
are fetched again only when its index entry changed, it is recent (published
in the last :data:`RECENT_DAYS` days: updates come early) or ``refresh`` is
set; patch files are kept by name and re-downloaded only when their sha256 is
not the advisory's. A ``.meta`` that does not exist (old advisories have
none) is remembered as missing the same way.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import fnmatch
import hashlib
import json
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from oxt.errors import OxtUserError
from oxt.fsutil import ShortRead, atomic_write, atomic_write_stream
from oxt.locking import HeldLock
from oxt.xen import gpg
from oxt.xen.defaults import DEFAULT_FEED, XEN_SIGNING_KEY, default_xsa_cache_dir
from oxt.xen.progress import DownloadProgress, _Line
from oxt.xen.tarball import sha256_of

INDEX = "xsa.json"
RECENT_DAYS = 30
WORKERS = 8
BAR_BYTES = 1 << 20

_SHA256_LINE = re.compile(r"^([0-9a-f]{64})\s+\*?(\S+)\s*$", re.MULTILINE)
_HEADER = re.compile(r"Xen Security Advisory\s+(?:.*?/\s*)?XSA-(\d+)(?:\s+version\s+(\d+))?", re.IGNORECASE)
_WITHDRAWN = re.compile(r"\bwithdrawn\b", re.IGNORECASE)


class FeedError(OxtUserError):
    """The feed cannot be read, or what it serves is malformed or does not verify."""


# -- the data -------------------------------------------------------------------------

PUBLIC, EMBARGOED, WITHDRAWN = "public", "embargoed", "withdrawn"


@dataclass(frozen=True)
class IndexEntry:
    number: int
    title: str = ""
    public_time: dt.datetime | None = None
    cves: tuple[str, ...] = ()
    state: str = PUBLIC  # public | embargoed | withdrawn
    digest: str = ""  # sha256 of the entry's JSON: a change means "fetch .meta and text again"


@dataclass(frozen=True)
class TreeRecipe:
    """The patches of one advisory for one Xen version and one tree (``xen``, ``qemu-xen``, ...)."""

    tree: str
    stable_ref: str = ""  # the stable-branch commit the patches were prepared on
    prereqs: tuple[int, ...] = ()  # advisories whose patches must be applied first
    patterns: tuple[str, ...] = ()  # file names or globs, in apply order


@dataclass(frozen=True)
class Meta:
    number: int
    supported_versions: tuple[str, ...] = ()
    trees: tuple[str, ...] = ()
    recipes: dict[str, dict[str, TreeRecipe]] = field(default_factory=dict)  # version -> tree -> recipe

    def recipe(self, version: str, tree: str = "xen") -> TreeRecipe | None:
        """The recipe for exactly *version* (never another version's or master's)."""
        return self.recipes.get(version, {}).get(tree)


@dataclass(frozen=True)
class AdvisoryText:
    number: int
    version: int | None
    title: str
    sha256: dict[str, str]  # file name -> sha256 from the "$ sha256sum" lists
    signature: str  # "verified (<fpr>)" | "not checked: <why>" | "unsigned"
    withdrawn: bool = False

    @property
    def verified(self) -> bool:
        return self.signature.startswith("verified")


@dataclass(frozen=True)
class PatchFile:
    name: str  # as published, relative to the feed (xsa494-4.20.patch, xsa237-4.5/0001-….patch)
    url: str
    path: Path  # the verified copy in the cache
    sha256: str


# -- parsing (pure) -----------------------------------------------------------------------


def _type(value) -> str:
    return {dict: "a mapping", list: "a list", str: "a string", int: "a number", bool: "a boolean",
            float: "a number", type(None): "null"}.get(type(value), type(value).__name__)


def _json(raw: bytes, url: str, what: str):
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        where = f" (line {err.lineno}, column {err.colno})" if isinstance(err, json.JSONDecodeError) else ""
        raise FeedError(f"{url}: {what} is not valid JSON{where}: {err.msg if hasattr(err, 'msg') else err}; "
                        "the feed is broken or this is not a Xen advisory feed (check --feed)") from None


def _number(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value > 0 else None
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def parse_time(text: str) -> dt.datetime:
    """``2026-01-14T12:00:00Z`` / ``2013-06-03 16:18`` / ``Wed, 14 Jan 2026 12:00:00 GMT``
    (UTC when no zone is given); ValueError for anything else."""
    try:
        when = dt.datetime.fromisoformat(text.strip())  # "Z" is understood since Python 3.11
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text.strip())
        except (TypeError, ValueError, IndexError):
            raise ValueError(text) from None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def parse_index(raw: bytes, url: str, now: dt.datetime) -> list[IndexEntry]:
    """The advisories of ``xsa.json``, oldest first."""
    data = _json(raw, url, "the advisory index")
    # published shape: [{"xsas": [...]}]; also accept {"xsas": [...]} and a bare list of entries
    if isinstance(data, list) and data and all(isinstance(d, dict) and "xsas" in d for d in data):
        items = [x for d in data for x in (d["xsas"] if isinstance(d["xsas"], list) else [d["xsas"]])]
    elif isinstance(data, dict) and "xsas" in data:
        items = data["xsas"]
    elif isinstance(data, list):
        items = data
    else:
        raise FeedError(f"{url}: expected a list of advisories (key 'xsas'), got {_type(data)}; check --feed")
    if not isinstance(items, list):
        raise FeedError(f"{url}: 'xsas' must be a list of advisories, got {_type(items)}")
    out: dict[int, IndexEntry] = {}
    for i, item in enumerate(items):
        where = f"{url}: entry {i}"
        if not isinstance(item, dict):
            raise FeedError(f"{where}: expected an advisory (a mapping), got {_type(item)}")
        number = _number(item.get("xsa"))
        if number is None:
            raise FeedError(f"{where}: key 'xsa': expected the advisory number, got {item.get('xsa')!r}")
        where = f"{url}: XSA-{number}"
        title = item.get("title", "")
        if not isinstance(title, (str, type(None))):
            raise FeedError(f"{where}: key 'title': expected a string, got {_type(title)}")
        cves = item.get("cve", item.get("cves", []))
        cves = [cves] if isinstance(cves, str) else cves
        if not isinstance(cves, list) or not all(isinstance(c, str) for c in cves):
            raise FeedError(f"{where}: key 'cve': expected a list of CVE ids, got {_type(cves)}")
        when = item.get("public_time")
        public_time = None
        if when not in (None, ""):
            if not isinstance(when, str):
                raise FeedError(f"{where}: key 'public_time': expected a date, got {_type(when)}")
            try:
                public_time = parse_time(when)
            except ValueError:
                raise FeedError(f"{where}: key 'public_time': {when!r} is not a date "
                                "(expected e.g. 2026-01-14T12:00:00Z)") from None
        status = str(item.get("state", item.get("status", ""))).lower()
        if item.get("withdrawn") is True or status == WITHDRAWN or _WITHDRAWN.search(title or ""):
            state = WITHDRAWN
        elif item.get("embargoed") is True or status == EMBARGOED or public_time is None or public_time > now:
            state = EMBARGOED
        else:
            state = PUBLIC
        digest = hashlib.sha256(json.dumps(item, sort_keys=True).encode()).hexdigest()
        out[number] = IndexEntry(number, (title or "").strip(), public_time, tuple(cves), state, digest)
    return [out[n] for n in sorted(out)]


def _str_list(value, where: str, key: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise FeedError(f"{where}: key {key!r}: expected a list of strings, got {_type(value)}")
    return tuple(value)


def _safe_pattern(pattern: str, where: str) -> str:
    p = PurePosixPath(pattern)
    if not pattern or p.is_absolute() or ".." in p.parts or "\\" in pattern or pattern.startswith("./"):
        raise FeedError(f"{where}: {pattern!r} is not a file of the feed (absolute or '..' path); "
                        "refusing to fetch outside the advisory directory")
    return pattern


def parse_meta(raw: bytes, number: int, url: str) -> Meta:
    data = _json(raw, url, f"the .meta of XSA-{number}")
    where = f"{url}: XSA-{number}"
    if not isinstance(data, dict):
        raise FeedError(f"{where}: expected a mapping with 'Recipes', got {_type(data)}")
    declared = data.get("XSA")
    if declared is not None and _number(declared) != number:
        raise FeedError(f"{where}: key 'XSA' says {declared!r}; the feed serves another advisory's .meta here")
    recipes_raw = data.get("Recipes")
    if not isinstance(recipes_raw, dict):
        raise FeedError(f"{where}: key 'Recipes': expected a mapping of Xen versions, got {_type(recipes_raw)}")
    recipes: dict[str, dict[str, TreeRecipe]] = {}
    for version, per_version in recipes_raw.items():
        vwhere = f"{where}: key 'Recipes.{version}"
        if not isinstance(per_version, dict) or not isinstance(per_version.get("Recipes"), dict):
            got = per_version.get("Recipes") if isinstance(per_version, dict) else per_version
            raise FeedError(f"{vwhere}.Recipes': expected a mapping of trees, got {_type(got)}")
        trees: dict[str, TreeRecipe] = {}
        for tree, recipe in per_version["Recipes"].items():
            twhere = f"{vwhere}.Recipes.{tree}"
            if not isinstance(recipe, dict):
                raise FeedError(f"{twhere}': expected a mapping, got {_type(recipe)}")
            ref = recipe.get("StableRef", "")
            if not isinstance(ref, (str, type(None))):
                raise FeedError(f"{twhere}.StableRef': expected a commit id, got {_type(ref)}")
            prereqs_raw = recipe.get("Prereqs") or []
            prereqs = [_number(p) for p in prereqs_raw] if isinstance(prereqs_raw, list) else [None]
            if None in prereqs:
                raise FeedError(f"{twhere}.Prereqs': expected a list of XSA numbers, got {prereqs_raw!r}")
            patterns = tuple(_safe_pattern(p, f"{twhere}.Patches'")
                             for p in _str_list(recipe.get("Patches"), f"{twhere}'", "Patches"))
            trees[str(tree)] = TreeRecipe(str(tree), ref or "", tuple(prereqs), patterns)
        recipes[str(version)] = trees
    return Meta(number, _str_list(data.get("SupportedVersions"), where, "SupportedVersions"),
                _str_list(data.get("Trees"), where, "Trees"), recipes)


def cleartext(text: str) -> tuple[str, bool]:
    """(the signed part of a PGP clear-signed text, whether it was clear-signed at all)."""
    lines = text.splitlines()
    try:
        start = lines.index("-----BEGIN PGP SIGNED MESSAGE-----")
    except ValueError:
        return text, False
    i = start + 1
    while i < len(lines) and lines[i].strip():  # armor headers ("Hash: SHA256")
        i += 1
    body = []
    for line in lines[i + 1:]:
        if line == "-----BEGIN PGP SIGNATURE-----":
            break
        body.append(line.removeprefix("- "))  # dash-escaping (RFC 4880 7.1)
    return "\n".join(body) + "\n", True


def parse_advisory(text: str, number: int, url: str, signature: str) -> AdvisoryText:
    """The facts sync needs from the (already verified) advisory text."""
    head = _HEADER.search(text)
    if not head:
        raise FeedError(f"{url}: no 'Xen Security Advisory … XSA-{number}' header; not an advisory text")
    if int(head.group(1)) != number:
        raise FeedError(f"{url}: the text is XSA-{head.group(1)}, not XSA-{number}; the feed is inconsistent")
    after = text[head.end():].lstrip("\n").split("\n\n", 1)[0]
    title = " ".join(line.strip() for line in after.splitlines() if line.strip())
    sums = {name: sha for sha, name in _SHA256_LINE.findall(text)}
    updates = re.search(r"UPDATES IN VERSION.*?\n=+\n(.*?)\n\n", text, re.DOTALL)
    withdrawn = bool(updates and _WITHDRAWN.search(updates.group(1)))
    return AdvisoryText(number, int(head.group(2)) if head.group(2) else None, title, sums, signature, withdrawn)


def expand(patterns: tuple[str, ...], listed: list[str], where: str) -> list[str]:
    """File names of *patterns* (names or shell globs, '*' never crossing '/'), in
    pattern order and sorted within a glob, among the names the advisory lists."""
    out: list[str] = []
    for pattern in patterns:
        parts = pattern.split("/")
        if not any(c in pattern for c in "*?["):
            hits = [pattern] if pattern in listed else []
        else:
            hits = sorted(n for n in listed if len(n.split("/")) == len(parts)
                          and all(fnmatch.fnmatchcase(a, b) for a, b in zip(n.split("/"), parts)))
        if not hits:
            raise FeedError(f"{where}: {pattern!r} names no file in the advisory's sha256 list; "
                            "the advisory text and its .meta disagree — the patch cannot be verified")
        out += [h for h in hits if h not in out]
    return out


# -- signatures ----------------------------------------------------------------------------


def verify_clearsigned(path: Path, *, key: str, gpg_home: Path | None) -> tuple[bool | None, str, str | None]:
    """(True, fpr, signed text) good; (None, why, None) cannot check; FeedError on a bad signature."""
    try:
        return gpg.verify_clearsigned(path, key=key, gpg_home=gpg_home)
    except gpg.SignatureError as err:
        if "BAD signature" in str(err):
            raise FeedError(f"{path.name}: BAD signature; the advisory text was altered after signing — "
                            "do not use it (check --feed and your network)") from None
        raise FeedError(f"{str(err).split(', not by', 1)[0]}, not by the Xen.org signing key {key} "
                        "(pgp@xen.org)") from None


# -- the feed (I/O) --------------------------------------------------------------------------


def _feed_key(base: str) -> str:
    parts = urllib.parse.urlsplit(base)
    name = re.sub(r"[^A-Za-z0-9.-]+", "_", f"{parts.netloc}{parts.path}").strip("_") or "local"
    return f"{name}-{hashlib.sha256(base.encode()).hexdigest()[:8]}"


class _Downloads:
    """The feed's files in the cache: conditional GETs, what is known about each file
    (``state.json``: ETag, Last-Modified, index entry digest, gpg verdict), one lock."""

    def __init__(self, base: str, directory: Path, *, progress: bool, timeout: float):
        self.base, self.dir, self.progress, self.timeout = base, directory, progress, timeout
        self.requests = 0  # HTTP requests made (benchmarks, tests)
        self.state: dict[str, dict] = {}
        self.lock = threading.Lock()
        self._held: HeldLock | None = None

    def open(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        # one oxt per feed cache at a time; the cache's lock rules (oxt.locking: close, never LOCK_UN)
        self._held = HeldLock(self.dir / ".lock", what=f"the advisory cache {self.dir}").__enter__()
        try:
            self.state = json.loads((self.dir / "state.json").read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            self.state = {}  # only a cache: start over

    def close(self) -> None:
        try:
            atomic_write(self.dir / "state.json", json.dumps(self.state, indent=1, sort_keys=True))
        finally:
            self._held.__exit__(None, None, None)

    def url(self, name: str) -> str:
        return urllib.parse.urljoin(self.base, name)

    def path(self, name: str) -> Path:
        return self.dir / "files" / name

    def get(self, name: str, *, revalidate: bool, digest: str = "", missing_ok: bool = False,
            bar: bool = False) -> Path | None:
        """The cached copy of *name*: as it is when its index entry (*digest*) did not change
        and not *revalidate*, else fetched with a conditional GET; None if *missing_ok* and
        the feed has no such file (remembered the same way)."""
        url, dest = self.url(name), self.path(name)
        with self.lock:
            known = dict(self.state.get(name, {}))
        if (dest.is_file() or known.get("missing")) and not revalidate and known.get("entry", "") == digest:
            return None if known.get("missing") else dest
        headers = {}
        if dest.is_file() and not known.get("missing"):
            headers = {k: v for k, v in (("If-None-Match", known.get("etag")),
                                         ("If-Modified-Since", known.get("modified"))) if v}
        with self.lock:
            self.requests += 1
        try:
            resp = urllib.request.urlopen(urllib.request.Request(url, headers=headers),  # the user's --feed
                                          timeout=self.timeout)
        except urllib.error.HTTPError as err:
            if err.code == 304:
                self.remember(name, {**known, "entry": digest})
                return dest
            if err.code in (404, 410) and missing_ok:
                self.remember(name, {"missing": True, "entry": digest})
                return None
            raise FeedError(f"cannot download {url}: HTTP {err.code} {err.reason}; the feed does not have "
                            "this file (check --feed, or wait for the advisory to be completed)") from None
        except (urllib.error.URLError, OSError) as err:
            reason = getattr(err, "reason", err)
            if isinstance(reason, FileNotFoundError) and missing_ok:
                self.remember(name, {"missing": True, "entry": digest})
                return None
            raise FeedError(f"cannot download {url}: {reason}; check the network and --feed") from None
        self._save(resp, name, bar)
        modified = resp.headers.get("Last-Modified")
        if not modified and url.startswith("file:"):
            modified = email.utils.formatdate(dest.stat().st_mtime, usegmt=True)
        self.remember(name, {"etag": resp.headers.get("ETag"), "modified": modified, "entry": digest})
        return dest

    def _save(self, resp, name: str, bar: bool) -> None:
        total = resp.headers.get("Content-Length")
        # a bar only for what can take a while; small files get one line when done
        big = bool(total) and int(total) > BAR_BYTES
        progress = DownloadProgress(f"feed: {name}", int(total) if total else None,
                                    enabled=self.progress and bar and big)
        try:
            with resp:
                size = atomic_write_stream(self.path(name), resp, expected=int(total) if total else None,
                                           on_chunk=progress.advance)
        except ShortRead as err:
            raise FeedError(f"download of {self.url(name)} was cut short ({err}); rerun") from None
        progress.finish()
        if bar and not big:
            _Line(enabled=self.progress).draw(f"feed: {name} ({size:,} bytes)", final=True)

    def remember(self, name: str, info: dict) -> None:
        with self.lock:
            self.state[name] = {k: v for k, v in info.items() if v}

    def forget(self, name: str) -> None:
        """Drop a file that did not verify: never keep a tampered file in the cache."""
        self.path(name).unlink(missing_ok=True)
        with self.lock:
            self.state.pop(name, None)

    # gpg takes tens of milliseconds a call: a text already verified (same bytes, same
    # key) keeps its verdict and signed part; --refresh verifies again
    def verified(self, name: str, raw: str, key: str) -> tuple[str, str] | None:
        mark = self.state.get(name, {}).get("verified", "")
        signed = self.dir / "verified" / name
        digest = hashlib.sha256(raw.encode()).hexdigest()
        if not signed.is_file() or not mark.startswith(f"{digest}:{key.upper()}:"):
            return None
        return f"verified ({mark.rsplit(':', 1)[1]})", signed.read_text(encoding="utf-8")

    def remember_verified(self, name: str, raw: str, key: str, fpr: str, text: str) -> None:
        atomic_write(self.dir / "verified" / name, text)
        digest = hashlib.sha256(raw.encode()).hexdigest()
        with self.lock:
            self.state.setdefault(name, {})["verified"] = f"{digest}:{key.upper()}:{fpr}"


class Feed:
    """An advisory feed at *base* (http(s):// or file://). Use as a context manager:
    it holds the cache lock and saves the cache state on exit."""

    def __init__(self, base: str = DEFAULT_FEED, *, cache_dir: Path | None = None, progress: bool = True,
                 refresh: bool = False, timeout: float = 60, now: dt.datetime | None = None):
        if not re.match(r"^(https?|file)://", base):
            raise FeedError(f"--feed {base}: expected an http(s):// or file:// URL of the advisory directory")
        self.base = base if base.endswith("/") else base + "/"
        directory = (Path(cache_dir) if cache_dir else default_xsa_cache_dir()) / _feed_key(self.base)
        self.files = _Downloads(self.base, directory, progress=progress, timeout=timeout)
        self.progress = progress
        self.refresh = refresh
        self.now = now or dt.datetime.now(dt.UTC)
        self._texts: dict[tuple, AdvisoryText] = {}

    def __enter__(self) -> Feed:
        self.files.open()
        return self

    def __exit__(self, *exc) -> None:
        self.files.close()

    @property
    def requests(self) -> int:
        return self.files.requests

    def url(self, name: str) -> str:
        return self.files.url(name)

    def advisory_page(self, number: int) -> str:
        """Where a person reads the advisory (the manifest's `origin`): a file:// feed is no such place."""
        if self.base == DEFAULT_FEED or self.base.startswith("file:"):
            return f"{DEFAULT_FEED}advisory-{number}.html"
        return self.url(f"advisory-{number}.txt")

    def _stale(self, entry: IndexEntry) -> bool:
        recent = entry.public_time and self.now - entry.public_time < dt.timedelta(days=RECENT_DAYS)
        return bool(self.refresh or recent)

    def index(self) -> list[IndexEntry]:
        path = self.files.get(INDEX, revalidate=True, bar=True)
        return parse_index(path.read_bytes(), self.url(INDEX), self.now)

    def meta(self, entry: IndexEntry) -> Meta | None:
        """The advisory's .meta; None when the feed has none (older advisories)."""
        name = f"xsa{entry.number}.meta"
        path = self.files.get(name, revalidate=self._stale(entry), digest=entry.digest, missing_ok=True)
        return parse_meta(path.read_bytes(), entry.number, self.url(name)) if path else None

    def metas(self, entries: list[IndexEntry]) -> dict[int, Meta | None]:
        """The .meta of every entry, fetched in parallel (an error names the first advisory that failed)."""
        line = _Line(enabled=self.progress)
        done = [0]

        def one(entry):
            meta = self.meta(entry)
            with self.files.lock:
                done[0] += 1
                line.draw(f"feed: advisory metadata {done[0]}/{len(entries)}")
            return entry.number, meta

        with ThreadPoolExecutor(max_workers=WORKERS) as pool:
            results = dict(pool.map(one, entries))
        if entries:
            line.draw(f"feed: advisory metadata {len(entries)}/{len(entries)} "
                      f"({self.requests} request(s) in all)", final=True)
        return results

    def advisory(self, entry: IndexEntry, *, key: str = XEN_SIGNING_KEY, gpg_home: Path | None = None,
                 require_signature: bool = False) -> AdvisoryText:
        """The advisory text, its signature checked when gpg and the key are present (once a run)."""
        memo = (entry.number, entry.digest, key, require_signature)
        if memo not in self._texts:
            self._texts[memo] = self._advisory(entry, key, gpg_home, require_signature)
        return self._texts[memo]

    def _advisory(self, entry: IndexEntry, key: str, gpg_home: Path | None, require_signature: bool) -> AdvisoryText:
        name = f"advisory-{entry.number}.txt"
        path = self.files.get(name, revalidate=self._stale(entry), digest=entry.digest)
        raw = path.read_text(encoding="utf-8", errors="replace")
        text, signed = cleartext(raw)
        if not signed:
            signature = "unsigned"
        elif (cached := None if self.refresh else self.files.verified(name, raw, key)):
            signature, text = cached
        else:
            try:
                ok, detail, verified = verify_clearsigned(path, key=key, gpg_home=gpg_home)
            except FeedError:
                self.files.forget(name)
                raise
            signature = f"verified ({detail})" if ok else f"not checked: {detail}"
            if ok:
                text = verified
                self.files.remember_verified(name, raw, key, detail, verified)
        if require_signature and not signature.startswith("verified"):
            raise FeedError(f"--require-signature: {self.url(name)} is {signature.removeprefix('not checked: ')}")
        return parse_advisory(text, entry.number, self.url(name), signature)

    def patches(self, advisory: AdvisoryText, recipe: TreeRecipe) -> list[PatchFile]:
        """The recipe's patch files, downloaded and checked against the advisory's sha256 list."""
        where = f"XSA-{advisory.number} {recipe.tree} patches"
        out = []
        for name in expand(recipe.patterns, list(advisory.sha256), where):
            want, path = advisory.sha256[name], self.files.path(name)
            if not (path.is_file() and sha256_of(path) == want):
                path = self.files.get(name, revalidate=True, bar=True)
                got = sha256_of(path)
                if got != want:
                    self.files.forget(name)
                    raise FeedError(f"{self.url(name)}: sha256 {got} is not the {want} that advisory-"
                                    f"{advisory.number}.txt lists; the file was altered or replaced — not used")
            out.append(PatchFile(name, self.url(name), path, want))
        return out
