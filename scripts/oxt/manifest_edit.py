"""Edit the manifest text while keeping its comments, key order and layout.

:mod:`oxt.manifest` reads and validates; this module changes values in the
YAML document (ruamel round-trip) and hands back text that is validated
before anyone writes it::

    from oxt.manifest_edit import ManifestDocument

    doc = ManifestDocument.load(checkout)
    doc.set_git_pin("stable-4.19", srcrev="0123...", tag="RELEASE-4.19.7")
    doc.set_tarball_pin("stable-4.18", version="4.18.5", url="https://...", sha256="...")
    doc.set_xsa_queue("stable-4.19", [Xsa(470, ("xsa470-4.19.patch",), "https://...")])
    doc.add_track(XenTrack(branch="stable-4.20", mode="git", ...))   # appended after the others
    doc.remove_track("stable-4.18")
    doc.set_preferred("stable-4.20")
    manifest = doc.validate(exists=...)   # oxt.manifest.Manifest of the edited text, or ConfigError
    text = doc.dumps()                    # write with oxt.fsutil.atomic_write, then oxt.render.render()

Nothing here touches the disk except :meth:`ManifestDocument.load`.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Callable, Iterable

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from oxt.errors import ConfigError
from oxt.manifest import Manifest, XenTrack, Xsa, load_yaml, manifest_path, parse_manifest
from oxt.repo import Checkout


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    # The shipped manifest's layout: 2-space maps, list dashes indented by 2.
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096
    yaml.preserve_quotes = True
    return yaml


def _flow_empty() -> CommentedSeq:
    seq = CommentedSeq()
    seq.fa.set_flow_style()  # `[]`, as written by hand
    return seq


class ManifestDocument:
    """The manifest as an editable YAML document."""

    def __init__(self, text: str, checkout: Checkout, path: Path | None = None):
        self.checkout = checkout
        self.path = path or manifest_path(checkout)
        load_yaml(text, str(self.path))  # syntax errors as ConfigError with file:line
        self.data = _yaml().load(text)

    @classmethod
    def load(cls, checkout: Checkout) -> "ManifestDocument":
        path = manifest_path(checkout)
        return cls(path.read_text(encoding="utf-8"), checkout, path)

    # -- output ---------------------------------------------------------------

    def dumps(self) -> str:
        buf = io.StringIO()
        _yaml().dump(self.data, buf)
        return buf.getvalue()

    def validate(self, exists: Callable[[Path], bool] | None = None) -> Manifest:
        """The edited manifest, validated like the file itself (ConfigError if invalid)."""
        return parse_manifest(self.dumps(), self.checkout, path=self.path, exists=exists)

    # -- Xen tracks -------------------------------------------------------------

    def _tracks(self) -> CommentedSeq:
        try:
            tracks = self.data["xen"]["tracks"]
        except (KeyError, TypeError):
            raise ConfigError(f"{self.path}: no xen.tracks list to edit; fix the manifest first") from None
        return tracks

    def _track(self, branch: str) -> CommentedMap:
        for node in self._tracks():
            if isinstance(node, dict) and str(node.get("branch")) == branch:
                return node
        known = ", ".join(str(n.get("branch")) for n in self._tracks() if isinstance(n, dict))
        raise ConfigError(f"{self.path}: no Xen track {branch!r} (tracks: {known or 'none'}); "
                          "add it first (oxt bump xen --new-track)")

    def set_git_pin(self, branch: str, *, srcrev: str, tag: str) -> None:
        """Pin *branch* to a commit (switching it to git mode if needed)."""
        node = self._track(branch)
        for key in ("version", "url", "sha256"):
            node.pop(key, None)
        _put(node, "mode", "git", after="branch")
        _put(node, "srcrev", srcrev, after="mode")
        _put(node, "tag", tag, after="srcrev")

    def set_tarball_pin(self, branch: str, *, version: str, url: str, sha256: str) -> None:
        """Pin *branch* to a release tarball (switching it to tarball mode if needed)."""
        node = self._track(branch)
        for key in ("srcrev", "tag"):
            node.pop(key, None)
        _put(node, "mode", "tarball", after="branch")
        _put(node, "version", version, after="mode")
        _put(node, "url", url, after="version")
        _put(node, "sha256", sha256, after="url")

    def set_license_md5(self, branch: str, md5: str) -> None:
        _put(self._track(branch), "license_md5", md5)

    def set_xsa_queue(self, branch: str, queue: Iterable[Xsa]) -> None:
        """Replace the XSA queue of *branch* (order = SRC_URI order)."""
        node = self._track(branch)
        seq = CommentedSeq()
        for x in queue:
            item = CommentedMap()
            item["number"] = x.number
            item["patches"] = CommentedSeq(list(x.patches))
            item["origin"] = x.origin
            if x.sources:
                item["sources"] = CommentedSeq(
                    [CommentedMap([("file", s.file), ("url", s.url), ("sha256", s.sha256)]) for s in x.sources])
            seq.append(item)
        _put(node, "xsa", seq if len(seq) else _flow_empty(), after="upstream_patches")

    def add_track(self, track: XenTrack) -> None:
        """Append a new track (a new upstream stable branch); the others are untouched."""
        if any(isinstance(n, dict) and str(n.get("branch")) == track.branch for n in self._tracks()):
            raise ConfigError(f"{self.path}: track {track.branch!r} already exists; bump it instead")
        node = CommentedMap()
        node["branch"] = track.branch
        node["mode"] = track.mode
        if track.mode == "git":
            node["srcrev"], node["tag"] = track.srcrev, track.tag
        else:
            node["version"], node["url"], node["sha256"] = track.version, track.url, track.sha256
        node["license_md5"] = track.license_md5
        up = CommentedMap()
        up["hypervisor"] = CommentedSeq(list(track.upstream_patches.hypervisor)) or _flow_empty()
        up["tools"] = CommentedSeq(list(track.upstream_patches.tools)) or _flow_empty()
        node["upstream_patches"] = up
        node["xsa"] = _flow_empty()
        node["patches"] = _flow_empty()
        self._tracks().append(node)
        if track.xsa:
            self.set_xsa_queue(track.branch, track.xsa)

    def remove_track(self, branch: str) -> None:
        tracks = self._tracks()
        tracks.remove(self._track(branch))

    def set_preferred(self, branch: str) -> None:
        self._track(branch)
        self.data["xen"]["preferred"] = branch


def _put(node: CommentedMap, key: str, value, after: str | None = None) -> None:
    """Set *key*, keeping its place; a new key goes right after *after* (or at the end)."""
    if key in node or after is None or after not in node:
        node[key] = value
    else:
        node.insert(list(node.keys()).index(after) + 1, key, value)
