"""A Xen security advisory feed built from the tests' fixture upstream
(:mod:`xen_fixtures`), served by a loopback HTTP server the test starts.

:class:`FeedBuilder` writes what xenbits.xen.org/xsa/ publishes: ``xsa.json``
(``[{"xsas": [...]}]``), ``xsaN.meta`` (SupportedVersions / Trees / Recipes
with StableRef, Prereqs, Patches), ``advisory-N.txt`` clear-signed with a
test key generated here (its RESOLUTION lists every file under
``$ sha256sum``) and the patch files, each made with ``git format-patch`` on
the pinned commit of the branch it is for, so it applies there for real.

:func:`two_track_checkout` is a meta-openxt checkout with tracks
``stable-4.6`` (pinned at the fixture's ``pin``) and ``stable-4.7`` (at
RELEASE-4.7.1).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import http.server
import io
import json
import shutil
import subprocess
import textwrap
import threading
from dataclasses import dataclass, field
from pathlib import Path

import git
import xen_fixtures as F

FILES = ("event", "sched", "vpmu", "hvm", "xenstore", "libxl", "pygrub", "memory")
STEPS = (0, 4, 8)  # four lines apart: the hunks of different advisories never share context
SLOTS = [(f"xen/common/{name}.c", step) for step in STEPS for name in FILES]
PAST = dt.datetime(2024, 1, 10, 12, 0, tzinfo=dt.UTC)


# -- gpg ------------------------------------------------------------------------------------------


def make_gpg_home(home: Path) -> str:
    """A gpg home with one fresh ed25519 signing key; its fingerprint."""
    home.mkdir(mode=0o700, parents=True)
    env = {"GNUPGHOME": str(home), "PATH": "/usr/bin:/bin"}
    subprocess.run(["gpg", "--batch", "--passphrase", "", "--quick-gen-key", "Test Xen security <t@x.invalid>",
                    "ed25519", "sign", "never"], env=env, check=True, capture_output=True)
    out = subprocess.run(["gpg", "--batch", "--with-colons", "--list-keys"], env=env, check=True,
                         capture_output=True, text=True).stdout
    return next(line.split(":")[9] for line in out.splitlines() if line.startswith("fpr:"))


@contextlib.contextmanager
def signing_key(home: Path):
    """(gpg home, fingerprint) of a fresh signing key; its agent stopped afterwards."""
    fpr = make_gpg_home(home)
    try:
        yield home, fpr
    finally:
        stop_gpg_agent(home)


def stop_gpg_agent(home: Path) -> None:
    subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "all"], capture_output=True, check=False)


def clearsign(text: str, home: Path | None) -> str:
    if home is None:  # no gpg: the advisory is published unsigned
        return text
    env = {"GNUPGHOME": str(home), "PATH": "/usr/bin:/bin"}
    return subprocess.run(["gpg", "--batch", "--clearsign", "--digest-algo", "SHA256"], input=text, env=env,
                          check=True, capture_output=True, text=True).stdout


# -- the loopback server ---------------------------------------------------------------------------


class FeedServer:
    """Serves *root* on 127.0.0.1; ``requests`` lists every path asked for."""

    def __init__(self, root: Path, port: int = 0):
        self.root = root
        self.requests: list[str] = []
        self.statuses: list[tuple[str, int]] = []
        log, statuses = self.requests, self.statuses

        class Handler(http.server.SimpleHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def log_request(self, code="-", size="-"):
                statuses.append((self.path, int(code)))

            def send_head(self):
                log.append(self.path)
                return super().send_head()

        http.server.ThreadingHTTPServer.allow_reuse_address = True
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port),
                                                      functools.partial(Handler, directory=str(root)))
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02},
                                       daemon=True)

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/xsa/"

    def __enter__(self) -> FeedServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def closed_port_url() -> str:
    """A loopback URL nothing listens on (the port was just released)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/xsa/"


# -- patches from the fixture upstream ----------------------------------------------------------------


class PatchMaker:
    """format-patch of one edit on a given commit of the fixture upstream."""

    def __init__(self, upstream: F.Upstream, work: Path):
        self.repo = git.Repo.clone_from(str(upstream.path), str(work))

    def make(self, commit: str, path: str, old: str, new: str, subject: str) -> str:
        self.repo.git.checkout("-q", "--detach", commit)
        p = Path(self.repo.working_tree_dir) / path
        text = p.read_text()
        assert old in text, (path, old, commit)
        p.write_text(text.replace(old, new, 1))
        self.repo.git.commit("-q", "-a", "-m", subject)
        patch = self.repo.git.format_patch("-1", "--stdout", "HEAD") + "\n"
        self.repo.git.checkout("-q", "--detach", commit)
        return patch

    def close(self) -> None:
        self.repo.close()


# -- the feed ---------------------------------------------------------------------------------------


@dataclass
class Advisory:
    number: int
    title: str
    versions: dict[str, list[tuple[str, str]]]  # version -> [(file name, patch text)]
    prereqs: dict[str, list[int]] = field(default_factory=dict)
    stable_refs: dict[str, str] = field(default_factory=dict)
    public_time: dt.datetime | None = PAST
    cves: tuple[str, ...] = ()
    extra: dict = field(default_factory=dict)  # more keys of the index entry
    other_trees: dict[str, list[str]] = field(default_factory=dict)  # version -> trees besides xen
    withdrawn_text: bool = False


class FeedBuilder:
    def __init__(self, upstream: F.Upstream, work: Path, gpg_home: Path | None):
        self.upstream = upstream
        self.gpg_home = gpg_home
        self.maker = PatchMaker(upstream, work / "patch-work")
        self.advisories: dict[int, Advisory] = {}
        self.pins = {"4.6": upstream["pin"], "4.7": upstream["4.7.1"]}
        self._slot = 0

    def next_slot(self) -> tuple[str, int]:
        slot = SLOTS[self._slot]
        self._slot += 1
        return slot

    def patch(self, number: int, version: str, slot: tuple[str, int], *, on: str | None = None,
              old: str | None = None, suffix: str = "") -> str:
        path, step = slot
        old = old or f"    step_{step}();"
        new = f"{old.rstrip(';').rstrip('()')}_xsa{number}{suffix}();"
        return self.maker.make(on or self.pins[version], path, old, new,
                               f"xen: fix XSA-{number} on {version}{suffix}\n\nThis is XSA-{number}.\n\n"
                               "Signed-off-by: Test <t@x.invalid>")

    def simple(self, number: int, versions=("4.6", "4.7"), **kw) -> Advisory:
        """An advisory with one patch per version, each applying on that version's pin."""
        slot = self.next_slot()
        files = {v: [(f"xsa{number}-{v}.patch", self.patch(number, v, slot))] for v in versions}
        return self.add(Advisory(number, kw.pop("title", f"test issue {number}"), files, **kw))

    def add(self, adv: Advisory) -> Advisory:
        self.advisories[adv.number] = adv
        return adv

    # -- writing ---------------------------------------------------------------------------------
    def index(self) -> list:
        xsas = []
        for adv in sorted(self.advisories.values(), key=lambda a: a.number):
            item = {"xsa": adv.number, "title": adv.title, "cve": list(adv.cves),
                    "public_time": adv.public_time.strftime("%Y-%m-%dT%H:%M:%SZ") if adv.public_time else None,
                    "updated_time": None, "version": 2}  # keys the reader does not use: tolerated
            item.update(adv.extra)
            xsas.append(item)
        return [{"xsas": xsas}]

    def meta(self, adv: Advisory) -> dict:
        recipes = {}
        for version, files in adv.versions.items():
            trees = {"xen": {"StableRef": adv.stable_refs.get(version, self.pins.get(version, "")),
                             "Prereqs": adv.prereqs.get(version, []),
                             "Patches": [name for name, _ in files]}}
            for tree in adv.other_trees.get(version, []):
                trees[tree] = {"StableRef": "", "Prereqs": [], "Patches": [f"xsa{adv.number}-{tree}.patch"]}
            recipes[version] = {"XenVersion": version, "Recipes": trees}
        for version, trees in adv.other_trees.items():
            if version not in recipes:
                recipes[version] = {"XenVersion": version, "Recipes": {
                    t: {"StableRef": "", "Prereqs": [], "Patches": [f"xsa{adv.number}-{t}.patch"]} for t in trees}}
        return {"XSA": adv.number, "SupportedVersions": sorted(recipes, reverse=True),
                "Trees": ["xen", *sorted({t for ts in adv.other_trees.values() for t in ts})],
                "Recipes": recipes}

    def text(self, adv: Advisory, files: dict[str, bytes]) -> str:
        sums = "\n".join(f"{hashlib.sha256(data).hexdigest()}  {name}" for name, data in sorted(files.items()))
        listing = "\n".join(f"{name:<28} Xen {v}.x" for v, fs in adv.versions.items() for name, _ in fs)
        updates = "This advisory has been withdrawn." if adv.withdrawn_text else "Public release."
        cve = " / ".join([*adv.cves, f"XSA-{adv.number}"]) if adv.cves else f"XSA-{adv.number}"
        return textwrap.dedent("""\
            Xen Security Advisory {cve}
                                          version 2

                              {title}

            UPDATES IN VERSION 2
            ====================

            {updates}

            ISSUE DESCRIPTION
            =================

            A test issue of the fixture feed.
            - A line starting with a dash (clear-signing escapes it).

            RESOLUTION
            ==========

            Applying the appropriate attached patch resolves this issue.

            {listing}

            $ sha256sum xsa{number}*
            {sums}
            $
            """).format(cve=cve, title=adv.title, updates=updates, number=adv.number,
                        listing=listing, sums=sums)

    def write(self, root: Path) -> Path:
        """Write the feed under *root*/xsa/; returns that directory."""
        out = root / "xsa"
        if out.exists():
            shutil.rmtree(out)
        out.mkdir(parents=True)
        (out / "xsa.json").write_text(json.dumps(self.index(), indent=1))
        for adv in self.advisories.values():
            if adv.public_time is None or adv.public_time > dt.datetime.now(dt.UTC):
                continue  # embargoed: nothing of it is published yet
            files: dict[str, bytes] = {}
            for patches in adv.versions.values():
                for name, text in patches:
                    files[name] = text.encode()
            for trees in adv.other_trees.values():
                for tree in trees:
                    files[f"xsa{adv.number}-{tree}.patch"] = b"diff --git a/x b/x\n"
            meta = json.dumps(self.meta(adv), indent=1).encode()
            files[f"xsa{adv.number}.meta"] = meta
            for name, data in files.items():
                (out / name).parent.mkdir(parents=True, exist_ok=True)
                (out / name).write_bytes(data)
            (out / f"advisory-{adv.number}.txt").write_text(clearsign(self.text(adv, files), self.gpg_home))
        return out

    def close(self) -> None:
        self.maker.close()


# -- checkouts --------------------------------------------------------------------------------------


def two_track_checkout(root: Path, upstream: F.Upstream, *, pin_label: str = "pin", xsas=()) -> Path:
    """make_checkout's stable-4.6 plus a stable-4.7 track at RELEASE-4.7.1, rendered and committed."""
    from oxt.render import render
    from oxt.repo import Checkout
    from ruamel.yaml import YAML

    F.make_checkout(root, upstream, xsas=xsas, pin_label=pin_label)
    y = YAML(typ="rt")
    y.indent(mapping=2, sequence=4, offset=2)
    y.width = 4096
    path = root / "recipes-templates" / "manifest.yml"
    data = y.load(path.read_text())
    pin = upstream["4.7.1"]
    data["xen"]["tracks"].append({"branch": "stable-4.7", "mode": "git", "srcrev": pin, "tag": "RELEASE-4.7.1",
                                  "license_md5": F.copying_md5(upstream, pin), "xsa": [], "patches": []})
    buf = io.StringIO()
    y.dump(data, buf)
    path.write_text(buf.getvalue())
    render(Checkout(root))
    repo = git.Repo(root)
    repo.git.add("-A")
    repo.git.commit("-q", "-m", "fixture: second track")
    repo.close()
    return root
