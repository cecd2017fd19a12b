"""Xen tracks in the manifest (recipes-templates/manifest.yml, RENDER's
:mod:`oxt.manifest`): read them as :class:`oxt.xen.model.Track`, and write a
bump back — keeping comments and key order (ruamel round-trip) — after
validating the edited text with RENDER's own :func:`oxt.manifest.parse_manifest`.

This module is the only place in ``oxt.xen`` that knows the manifest layout::

    xen:
      remote: https://xenbits.xen.org/git-http/xen.git
      preferred: stable-4.19
      tracks:
        - branch: stable-4.19
          mode: git                       # or tarball: version, url, sha256
          srcrev: <40 hex>
          tag: RELEASE-4.19.6             # the release the pin describes from
          license_md5: <md5 of COPYING>
          upstream_patches: {...}         # untouched here
          xsa:
            - number: 300
              patches: [xsa300.patch]     # under meta-openxt/recipes-extended/xen/files/xsa/
              origin: https://xenbits.xen.org/xsa/advisory-300.html
          patches: []                     # OpenXT queue: untouched here
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from oxt.repo import Checkout
from oxt.xen.model import GIT, Track, XsaEntry
from oxt.xen.versions import describe_parts


def _mf():
    # imported on use: the manifest model (issue 3) and ruamel are only needed when a command runs
    from oxt import manifest

    return manifest


@dataclass
class ManifestFile:
    checkout: Checkout
    path: Path
    text: str
    model: object

    @property
    def remote(self) -> str:
        return self.model.xen.remote


def manifest_path(checkout: Checkout) -> Path:
    return _mf().manifest_path(checkout)


def xsa_dir(checkout: Checkout) -> Path:
    return checkout.layer / Path(str(_mf().XEN_XSA_DIR))


def _keys() -> tuple[str, str]:
    """(pin-label key of a track, file-list key of an XSA entry) as the manifest model names them.

    The model stores either the RELEASE tag the pin describes from (``tag``) or the
    full describe string (``describe``); XSA files are ``patches`` (or ``files``).
    """
    fields = _mf().XenTrack.__dataclass_fields__
    xfields = _mf().Xsa.__dataclass_fields__
    return ("tag" if "tag" in fields else "describe"), ("patches" if "patches" in xfields else "files")


def _track(t) -> Track:
    pin_key, files_key = _keys()
    label = getattr(t, pin_key)
    return Track(
        branch=t.branch, mode=t.mode, srcrev=t.srcrev,
        tag=label if t.mode == GIT else f"RELEASE-{t.version}",
        version=t.version, url=t.url, sha256=t.sha256, license_md5=t.license_md5,
        xsas=tuple(XsaEntry(number=x.number, patches=tuple(getattr(x, files_key)), origin=x.origin,
                            sources=tuple((s.file, s.url, s.sha256) for s in getattr(x, "sources", ())))
                   for x in t.xsa),
    )


def load(checkout: Checkout) -> tuple[ManifestFile, list[Track]]:
    """The manifest and its Xen tracks; ConfigError (exit 2) when invalid."""
    model = _mf().load_manifest(checkout)
    path = manifest_path(checkout)
    return ManifestFile(checkout, path, path.read_text(encoding="utf-8"), model), [
        _track(t) for t in model.xen.tracks]


def _yaml():
    from ruamel.yaml import YAML

    y = YAML(typ="rt")
    y.indent(mapping=2, sequence=4, offset=2)
    y.width = 4096
    y.preserve_quotes = True
    return y


def _set(node, key: str, value, after: str | None = None) -> None:
    if value is None:
        node.pop(key, None)
    elif key in node or after is None or after not in node:
        node[key] = value
    else:
        node.insert(list(node.keys()).index(after) + 1, key, value)


def _xsa_seq(entries):
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if not entries:
        seq = CommentedSeq()
        seq.fa.set_flow_style()
        return seq
    seq = CommentedSeq()
    for x in entries:
        item = CommentedMap()
        item["number"] = x.number
        files = CommentedSeq(list(x.patches))
        item[_keys()[1]] = files
        item["origin"] = x.origin or f"https://xenbits.xen.org/xsa/advisory-{x.number}.html"
        if x.sources:
            item["sources"] = CommentedSeq(
                [CommentedMap([("file", f), ("url", u), ("sha256", h)]) for f, u, h in x.sources])
        seq.append(item)
    return seq


def _carry_trailing_comment(node, key: str, new_seq) -> None:
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


def _sources_changed(node, track: Track) -> bool:
    """An XSA entry's recorded sources differ from the track's (xsa add --replace, xsa sync)."""
    old = {int(x["number"]): [(str(s["file"]), str(s["url"]), str(s["sha256"])) for s in (x.get("sources") or [])]
           for x in (node.get("xsa") or [])}
    old_files = {int(x["number"]): [str(f) for f in (x.get("patches") or [])] for x in (node.get("xsa") or [])}
    return any(old.get(x.number) != list(x.sources) or old_files.get(x.number) != list(x.patches)
               for x in track.xsas)


def updated_text(manifest: ManifestFile, tracks: list[Track], *, added: set[Path] = frozenset(),
                 removed: set[Path] = frozenset()) -> str:
    """The manifest text with *tracks* written over (or appended to) xen.tracks,
    validated by RENDER's parser as if *added* files existed and *removed* did not."""
    from ruamel.yaml.comments import CommentedMap

    y = _yaml()
    data = y.load(manifest.text)
    nodes = data["xen"]["tracks"]
    by_branch = {str(n["branch"]): n for n in nodes}
    for t in tracks:
        node = by_branch.get(t.branch)
        if node is None:
            node = CommentedMap()
            node["branch"] = t.branch
            nodes.append(node)
            by_branch[t.branch] = node
        old_xsas = [int(x["number"]) for x in (node.get("xsa") or [])]
        node["mode"] = t.mode
        git_mode = t.mode == GIT
        _set(node, "srcrev", t.srcrev if git_mode else None, after="mode")
        pin_key = _keys()[0]
        pin_label = t.tag if pin_key == "describe" else describe_parts(t.tag or "")[0]
        _set(node, pin_key, pin_label if git_mode else None, after="srcrev")
        _set(node, "version", None if git_mode else t.version, after="mode")
        _set(node, "url", None if git_mode else t.url, after="version")
        _set(node, "sha256", None if git_mode else t.sha256, after="url")
        _set(node, "license_md5", t.license_md5, after="sha256" if not git_mode else pin_key)
        if old_xsas != [x.number for x in t.xsas] or "xsa" not in node or _sources_changed(node, t):
            new_seq = _xsa_seq(t.xsas)
            _carry_trailing_comment(node, "xsa", new_seq)
            node["xsa"] = new_seq
        if "patches" not in node:
            node["patches"] = _xsa_seq(())
    buf = io.StringIO()
    y.dump(data, buf)
    text = buf.getvalue()
    _mf().parse_manifest(text, manifest.checkout,
                      exists=lambda p: (Path(p) in added) or (Path(p).is_file() and Path(p) not in removed))
    return text


def render_function():
    """RENDER's renderer (:func:`oxt.render.render`, returns a Plan); None if absent."""
    try:
        from oxt.render import render  # noqa: PLC0415 - optional until issue 3 lands
    except ImportError:
        return None
    return render
