"""Edit the manifest text while keeping its comments, key order and layout.

:mod:`oxt.manifest` reads and validates; this module -- the one manifest
editor, used by ``oxt bump xen`` and ``oxt xsa add`` -- changes values in the
YAML document (ruamel round-trip) and hands back text that is validated before
anyone writes it::

    from oxt.manifest_edit import ManifestDocument

    doc = ManifestDocument.load(checkout)
    doc.put_track(track)                  # a XenTrack's pin, licence, XSA and OpenXT queues,
                                          # written over its entry (or appended as a new track)
    doc.set_git_pin("stable-4.19", srcrev="0123...", tag="RELEASE-4.19.7")
    doc.set_tarball_pin("stable-4.18", version="4.18.5", url="https://...", sha256="...")
    doc.set_xsa_queue("stable-4.19", [Xsa(470, ("xsa470-4.19.patch",), "https://...")])
    doc.put_track(replace(track, patches=(*track.patches, Patch("foo.patch", "why"))))  # OpenXT queue
    doc.add_track(XenTrack(branch="stable-4.20", mode="git", ...))   # appended after the others
    doc.remove_track("stable-4.18")
    doc.set_preferred("stable-4.20")
    manifest = doc.validate(exists=...)   # oxt.manifest.Manifest of the edited text, or ConfigError
    text = doc.dumps()                    # write it with oxt.changeset, which also re-renders

Nothing here touches the disk except :meth:`ManifestDocument.load`.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Callable, Iterable

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from oxt.errors import ConfigError
from oxt.manifest import (GIT, Manifest, Patch, XenTrack, Xsa, display_path, load_yaml, manifest_path,
                          parse_manifest, read_text)
from oxt.repo import Checkout

_GIT_KEYS = ("srcrev", "tag")
_TARBALL_KEYS = ("version", "url", "sha256")


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
        # syntax errors as ConfigError with file:line, as when loading the manifest
        self.data = load_yaml(text, display_path(self.path, checkout), _yaml())

    @classmethod
    def load(cls, checkout: Checkout) -> "ManifestDocument":
        """The checkout's manifest, read once (ConfigError when missing or not YAML)."""
        path = manifest_path(checkout)
        return cls(read_text(path, checkout), checkout, path)

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

    def _find(self, branch: str) -> CommentedMap | None:
        return next((n for n in self._tracks() if isinstance(n, dict) and str(n.get("branch")) == branch), None)

    def _track(self, branch: str) -> CommentedMap:
        node = self._find(branch)
        if node is None:
            known = ", ".join(str(n.get("branch")) for n in self._tracks() if isinstance(n, dict))
            raise ConfigError(f"{self.path}: no Xen track {branch!r} (tracks: {known or 'none'}); "
                              "add it first (oxt bump xen --new-track)")
        return node

    def put_track(self, track: XenTrack) -> None:
        """Write *track*'s mode, pin, licence and both patch queues over its entry; a new branch is appended.

        A queue's list is rewritten only when the queue changed, so an
        unchanged queue keeps its layout; upstream_patches are left as they are.
        """
        node = self._find(track.branch)
        if node is None:
            node = CommentedMap()
            node["branch"] = track.branch
            self._tracks().append(node)
        if track.mode == GIT:
            self.set_git_pin(track.branch, srcrev=track.srcrev, tag=track.tag)
        else:
            self.set_tarball_pin(track.branch, version=track.version, url=track.url, sha256=track.sha256)
        self.set_license_md5(track.branch, track.license_md5)
        for key, items, after in (("xsa", [_xsa_item(x) for x in track.xsa], "upstream_patches"),
                                  ("patches", [_patch_item(p) for p in track.patches], "xsa")):
            if key not in node or _entries(node.get(key)) != items:
                _set_list(node, key, items, after=after)

    def set_git_pin(self, branch: str, *, srcrev: str, tag: str) -> None:
        """Pin *branch* to a commit (switching it to git mode if needed)."""
        self._set_pin(self._track(branch), "git", _TARBALL_KEYS, {"srcrev": srcrev, "tag": tag})

    def set_tarball_pin(self, branch: str, *, version: str, url: str, sha256: str) -> None:
        """Pin *branch* to a release tarball (switching it to tarball mode if needed)."""
        self._set_pin(self._track(branch), "tarball", _GIT_KEYS, {"version": version, "url": url, "sha256": sha256})

    @staticmethod
    def _set_pin(node: CommentedMap, mode: str, drop: tuple[str, ...], values: dict[str, str]) -> None:
        for key in drop:
            node.pop(key, None)
        _put(node, "mode", mode, after="branch")
        after = "mode"
        for key, value in values.items():  # each right after the one before
            _put(node, key, value, after=after)
            after = key

    def set_license_md5(self, branch: str, md5: str) -> None:
        _put(self._track(branch), "license_md5", md5)

    def set_xsa_queue(self, branch: str, queue: Iterable[Xsa]) -> None:
        """Replace the XSA queue of *branch* (order = SRC_URI order); comments after the list stay."""
        _set_list(self._track(branch), "xsa", [_xsa_item(x) for x in queue], after="upstream_patches")

    def add_track(self, track: XenTrack) -> None:
        """Append a new track (a new upstream stable branch); the others are untouched."""
        if self._find(track.branch) is not None:
            raise ConfigError(f"{self.path}: track {track.branch!r} already exists; bump it instead")
        self.put_track(track)

    def remove_track(self, branch: str) -> None:
        tracks = self._tracks()
        tracks.remove(self._track(branch))

    def set_preferred(self, branch: str) -> None:
        self._track(branch)
        self.data["xen"]["preferred"] = branch


# The queues as the document holds them: one mapping per entry, keys in this order.
def _xsa_item(x: Xsa) -> dict:
    item = {"number": x.number, "patches": list(x.patches), "origin": x.origin}
    if x.sources:  # written by `oxt xsa sync`; absent for patches queued by hand
        item["sources"] = [{"file": s.file, "url": s.url, "sha256": s.sha256} for s in x.sources]
    return item


def _patch_item(p: Patch) -> dict:
    return {"file": p.file, "purpose": p.purpose}


def _entries(seq) -> list[dict]:
    """A queue of the document as plain dicts, to compare with the model's items."""
    return [_plain(item) for item in seq or [] if isinstance(item, dict)]


def _plain(value):
    """A YAML node as plain dicts, lists and strings (numbers kept)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value if isinstance(value, (int, type(None))) else str(value)


def _node(value):
    """A plain value as a YAML node (block-style maps and lists)."""
    if isinstance(value, dict):
        return CommentedMap((k, _node(v)) for k, v in value.items())
    if isinstance(value, list):
        return CommentedSeq(_node(v) for v in value)
    return value


def _set_list(node: CommentedMap, key: str, items: list[dict], *, after: str) -> None:
    """Replace the list under *key* with *items* (block style; ``[]`` when empty), keeping the
    comment lines that follow the old list."""
    seq = CommentedSeq(_node(item) for item in items)
    seq = seq if len(seq) else _flow_empty()
    _carry_trailing_comment(node, key, seq)
    _put(node, key, seq, after=after)


def _put(node: CommentedMap, key: str, value, after: str | None = None) -> None:
    """Set *key*, keeping its place; a new key goes right after *after* (or at the end)."""
    if key in node or after is None or after not in node:
        node[key] = value
    else:
        node.insert(list(node.keys()).index(after) + 1, key, value)


def _carry_trailing_comment(node: CommentedMap, key: str, new_seq: CommentedSeq) -> None:
    """Keep the comment lines that follow node[key] when its list is replaced.

    ruamel attaches them to the list's last entry (block style) or as a
    leading comment of the next key (empty flow list): replacing a non-empty
    list would drop them with its last entry.
    """
    old = node.get(key)
    if not old or not hasattr(old[-1], "ca"):
        return
    last = old[-1]
    last_key = list(last)[-1] if hasattr(last, "keys") and len(last) else None
    slot = last.ca.items.get(last_key) if last_key is not None else None
    if not slot or len(slot) < 3 or slot[2] is None:
        return
    token = slot[2]
    if len(new_seq) and hasattr(new_seq[-1], "ca"):
        new_last = new_seq[-1]
        new_last.ca.items[list(new_last)[-1]] = [None, None, token, None]
        return
    # an empty list is written inline ("xsa: []"): the comment goes before the next key
    keys = list(node)
    following = keys[keys.index(key) + 1] if keys.index(key) + 1 < len(keys) else None
    if following is None:
        return
    lines = [line.strip().removeprefix("#").removeprefix(" ") for line in token.value.split("\n") if line.strip()]
    node.yaml_set_comment_before_after_key(following, before="\n".join(lines), indent=token.column)
