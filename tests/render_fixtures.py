"""Fixtures for the manifest/render tests: throw-away copies of the checkout,
a richer manifest that exercises every queue, and a bitbake-syntax reader
(oelint-parser, the parser behind oelint-adv) for the rendered recipes."""

from __future__ import annotations

import contextlib
import io
import shutil
from dataclasses import dataclass
from pathlib import Path

from oelint_parser.cls_item import FlagAssignment, Include, Variable
from oelint_parser.cls_stash import Stash

from oxt.cli import main as oxt_main
from oxt.repo import Checkout

REPO_ROOT = Path(__file__).resolve().parent.parent
MANIFEST = Path("recipes-templates") / "manifest.yml"
XEN_FILES = Path("meta-openxt/recipes-extended/xen/files")
LINUX_FILES = Path("meta-openxt/recipes-kernel/linux/linux-openxt")
ICBINN_FILES = Path("meta-openxt/recipes-support/icbinn/files")

GIT_REV = "54ee7c511ae7f5cac195cce271564a1a339ae99a"
OLD_TARBALL_SHA = "0b1f4d1b6a8f1e5b2c3d4e5f60718293a4b5c6d7e8f90112233445566778899a"


def copy_checkout(dest: Path) -> Checkout:
    """The layer and the templates of this repository, copied under *dest*."""
    dest.mkdir(parents=True, exist_ok=True)
    for part in ("meta-openxt", "recipes-templates"):
        shutil.copytree(REPO_ROOT / part, dest / part, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return Checkout(dest)


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under *root* with its bytes (to prove nothing was written)."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def run_oxt(root: Path, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = oxt_main(["--root", str(root), *args])
    return rc, out.getvalue(), err.getvalue()


def _patch(name: str, body: str) -> str:
    return (
        f"From: fixture <fixture@example.invalid>\nSubject: [PATCH] {name}\n\n---\n"
        f"diff --git a/{body} b/{body}\n--- a/{body}\n+++ b/{body}\n@@ -1 +1 @@\n-old\n+new\n"
    )


RICH_MANIFEST = f"""\
# fixture: two Xen tracks, every queue non-empty
version: 1
xen:
  remote: https://xenbits.xen.org/git-http/xen.git
  preferred: stable-4.19
  tracks:
    - branch: stable-4.19
      mode: git
      srcrev: {GIT_REV}
      tag: RELEASE-4.19.6
      license_md5: d1a1e216f80b6d8da95fec897d0dbec9
      upstream_patches:
        hypervisor: [0001-menuconfig-mconf-cfg-Allow-specification-of-ncurses-location.patch]
        tools: [0001-python-pygrub-pass-DISTUTILS-xen-4.19.patch]
      xsa:
        - number: 471
          patches: [xsa471-4.19.patch]
          origin: https://xenbits.xen.org/xsa/advisory-471.html
        - number: 470
          patches:
            - xsa470-4.19/0001-x86-first.patch
            - xsa470-4.19/0002-x86-second.patch
          origin: https://xenbits.xen.org/xsa/advisory-470.html
      patches:
        - file: 0001-openxt-argo.patch
          purpose: keep the argo interdomain transport enabled
    - branch: stable-4.18
      mode: tarball
      version: 4.18.5
      url: https://downloads.xenproject.org/release/xen/4.18.5/xen-4.18.5.tar.gz
      sha256: {OLD_TARBALL_SHA}
      license_md5: d1a1e216f80b6d8da95fec897d0dbec9
      upstream_patches:
        hypervisor: []
        tools: []
      xsa:
        - number: 470
          patches: [xsa470-4.18.patch]
          origin: https://xenbits.xen.org/xsa/advisory-470.html
      patches: []
linux:
  version: 4.9.337
  url: https://cdn.kernel.org/pub/linux/kernel/v4.x/linux-4.9.337.tar.xz
  sha256: 5385aaec55c766e3f462511453f5c63d7898b2d0e9ea74f22a23ebbedab0b3c6
  license_md5: d7810fab7487fb0aad327b76f1be7cd7
  defconfig: x86_64_defconfig
  patches:
    - file: 0001-xen-netback-fixture.patch
      purpose: a fixture kernel patch
  fragments:
    common: [xen-guest.cfg]
    dom0: [dom0-backends.cfg]
    ndvm: [ndvm-network.cfg]
    uivm: [uivm-frontends.cfg]
    stubdomain: [stubdomain-minimal.cfg]
icbinn:
  url: https://github.com/OpenXT/icbinn.git
  branch: master
  srcrev: 006cfa0946e831d799ef6f6f3bcddf45623baca0
  license_md5: 321bf41f280cf805086dd5a720b37785
  patches:
    libicbinn:
      - file: 0001-client-declare-the-shared-connection-extern.patch
        purpose: link icbinn_ftp with GCC >= 10
    libicbinn-resolved:
      - file: 0001-resolved-make-libargo-optional.patch
        purpose: build without libargo
    python3-icbinn:
      - file: 0001-pyicbinn-fixture.patch
        purpose: a fixture bindings patch
"""

RICH_FILES = {
    XEN_FILES / "xsa" / "xsa471-4.19.patch": _patch("xsa471", "xen/common/a.c"),
    XEN_FILES / "xsa" / "xsa470-4.19" / "0001-x86-first.patch": _patch("xsa470 1", "xen/arch/x86/b.c"),
    XEN_FILES / "xsa" / "xsa470-4.19" / "0002-x86-second.patch": _patch("xsa470 2", "xen/arch/x86/c.c"),
    XEN_FILES / "xsa" / "xsa470-4.18.patch": _patch("xsa470 4.18", "xen/arch/x86/b.c"),
    XEN_FILES / "openxt" / "0001-openxt-argo.patch": _patch("argo", "tools/d.c"),
    LINUX_FILES / "0001-xen-netback-fixture.patch": _patch("netback", "drivers/net/xen-netback/e.c"),
    ICBINN_FILES / "0001-pyicbinn-fixture.patch": _patch("pyicbinn", "pyicbinn.i"),
}


def rich_checkout(dest: Path) -> Checkout:
    """A copy of the checkout with RICH_MANIFEST and the patch files it names."""
    co = copy_checkout(dest)
    (dest / MANIFEST).write_text(RICH_MANIFEST)
    for rel, text in RICH_FILES.items():
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        (dest / rel).write_text(text)
    return co


@dataclass
class Recipe:
    """A bitbake file as oelint-parser reads it."""

    path: Path
    stash: Stash

    @classmethod
    def parse(cls, path: Path) -> "Recipe":
        stash = Stash(quiet=True)
        stash.AddFile(str(path))
        stash.Finalize()
        return cls(Path(path), stash)

    def _items(self, kind):
        return [i for i in self.stash.GetItemsFor(filename=str(self.path)) if isinstance(i, kind)]

    def assignments(self, name: str) -> list[tuple[str, str]]:
        """(operator, value) of every assignment to *name* (with overrides, e.g. SRC_URI:append:openxt-dom0)."""
        return [(i.VarOp.strip(), " ".join(i.VarValueStripped.replace("\x1b", " ").split()))
                for i in self._items(Variable) if i.VarNameComplete == name]

    def value(self, name: str) -> str:
        found = self.assignments(name)
        assert len(found) == 1, f"{self.path.name}: {name} assigned {len(found)} times: {found}"
        return found[0][1]

    def has(self, name: str) -> bool:
        return bool(self.assignments(name))

    def words(self, name: str) -> list[str]:
        return self.value(name).split()

    def flag(self, name: str, flag: str) -> str:
        found = [i.Value.strip('"') for i in self._items(FlagAssignment) if i.VarName == name and i.Flag == flag]
        assert len(found) == 1, f"{self.path.name}: {name}[{flag}] assigned {len(found)} times"
        return found[0]

    def expand(self, term: str) -> str:
        return self.stash.ExpandTerm(str(self.path), term)

    def requires(self) -> list[str]:
        return [i.IncName for i in self._items(Include)]
