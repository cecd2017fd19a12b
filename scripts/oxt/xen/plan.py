"""Plan a bump of one Xen track: resolve the target upstream, fetch only the
range old..new into the cache, index the XSAs in it and decide about every
queued XSA. Nothing in the checkout is written here; the result says what
the manifest and the layer must become (:mod:`.bump` writes it).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from oxt.errors import ConfigError, OxtUserError
from oxt.manifest import GIT, TARBALL, XenTrack
from oxt.xen import decide as dec
from oxt.xen import gpg
from oxt.xen.context import UpstreamContext
from oxt.xen.refs import Ref, parse_ref
from oxt.xen.tarball import DEFAULT_URL, fetch_release
from oxt.xen.upstream import RemoteRefs, UnknownRefError
from oxt.xen.versions import Version, describe_parts
from oxt.xen.xsa_index import CommitInfo, XsaCommit, build_index

if TYPE_CHECKING:
    from oxt.xen.series_check import SeriesVerdict


class DowngradeError(OxtUserError):
    """The target is older than the current pin."""


class PatchNoLongerAppliesError(OxtUserError):
    """A queued XSA patch is not upstream and does not apply on the new commit."""


@dataclass
class BumpOptions:
    to: str = "tip"
    mode: str | None = None  # None: keep each track's mode
    allow_downgrade: bool = False
    tarball_url: str | None = None
    download_dir: Path | None = None
    require_signature: bool = False
    gpg_home: Path | None = None
    progress: bool = True
    index_since_base: bool = False  # xsa status: index base-release..target, not old..target


@dataclass
class Pin:
    commit: str | None
    describe: str | None = None
    version: str | None = None  # tarball mode
    url: str | None = None
    sha256: str | None = None
    signature: str | None = None

    @property
    def tag(self) -> str | None:
        return describe_parts(self.describe)[0] if self.describe else None

    @property
    def label(self) -> str:
        if self.version:
            return self.version
        return self.describe or (self.commit[:12] if self.commit else "(none)")


@dataclass
class TrackPlan:
    old_track: XenTrack | None  # None: a track the bump adds
    new_track: XenTrack
    old: Pin
    new: Pin
    commits: list[CommitInfo] = field(default_factory=list)
    decisions: list[dec.XsaDecision] = field(default_factory=list)
    upstream_xsas: dict[int, list[XsaCommit]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    downgrade: bool = False
    base: Version | None = None  # the release the fetched range starts after
    series: "SeriesVerdict | None" = None  # the whole patch series at the new pin (bump.py fills it)

    @property
    def branch(self) -> str:
        return self.new_track.branch

    @property
    def mode(self) -> str:
        return self.new_track.mode

    @property
    def changed(self) -> bool:
        return self.old_track is None or self.old_track != self.new_track

    @property
    def dropped(self) -> list[dec.XsaDecision]:
        return [d for d in self.decisions if d.drop]

    @property
    def kept(self) -> list[dec.XsaDecision]:
        return [d for d in self.decisions if not d.drop]

    @property
    def dropped_files(self) -> list[str]:
        return [p for d in self.dropped for p in d.patches]


def plan_track(track: XenTrack, *, new_track: bool, upstream: UpstreamContext, xsa_dir: Path,
               options: BumpOptions) -> TrackPlan:
    """What bumping *track* (or adding it, *new_track*) to ``options.to`` changes."""
    refs, cache = upstream.refs, upstream.cache
    mode = options.mode or track.mode
    refs.branch(track.branch)  # unknown branch -> clear error before any fetch
    ref, target, version = _target(track, refs, options.to, mode)
    old_commit = None if new_track else upstream.pinned_commit(track)
    base = upstream.base_release(track, new_track=new_track, target=version)
    newer = [v.tag for v in refs.releases(track.series) if base is None or v > base]
    upstream.fetch(track, base, tags=newer, need=[old_commit, target])
    target = _on_branch(track, upstream, ref, target, old_commit, base)

    old = Pin(commit=old_commit, describe=cache.describe(old_commit) if old_commit else None,
              version=track.version if track.mode == TARBALL else None, url=track.url, sha256=track.sha256)
    new = Pin(commit=target, describe=cache.describe(target))
    plan = TrackPlan(old_track=None if new_track else track, new_track=track, old=old, new=new, base=base)
    _check_direction(plan, upstream, options.allow_downgrade)
    if mode == TARBALL:
        _tarball(plan, track, version, options)
    else:
        new.signature = _tag_signature(plan, upstream, options)
    _decide_queue(plan, upstream, base, xsa_dir, options.index_since_base)
    plan.new_track = _new_track(plan, track, mode, upstream)
    return plan


def _target(track: XenTrack, refs: RemoteRefs, to: str, mode: str) -> tuple[Ref, str | None, Version | None]:
    """(the parsed ref, its commit when known without the cache, release version) the user asked for."""
    ref = parse_ref(to, track.branch, option="--to")
    if ref.tip:
        if mode == TARBALL:
            releases = refs.releases(track.series)
            if not releases:
                raise UnknownRefError(f"remote {refs.url} has no RELEASE-{track.series}.* tag yet; "
                                      "use --mode git to follow the branch")
            return ref, refs.tags[releases[-1].tag], releases[-1]
        return ref, refs.branch(track.branch), None
    if ref.version:
        return ref, refs.release(ref.version), ref.version
    if mode == TARBALL:
        raise OxtUserError(f"--to {to}: tarball mode needs a release version X.Y.Z (or tip), not a commit")
    return ref, ref.full, None


def _on_branch(track: XenTrack, upstream: UpstreamContext, ref: Ref, target: str | None, old_commit: str | None,
               base: Version | None) -> str:
    """The full target commit, once it and the old pin are known to be on the track's branch."""
    target = upstream.on_branch(track, target or ref.commit, what=ref.label, base=base)
    if old_commit and not upstream.cache.is_ancestor(old_commit, f"refs/oxt/heads/{track.branch}"):
        raise ConfigError(f"manifest: track {track.branch} pins {old_commit[:12]}, which is not on branch "
                          f"{track.branch} of {upstream.url}; fix the pin (or --remote) and retry")
    return target


def _check_direction(plan: TrackPlan, upstream: UpstreamContext, allow_downgrade: bool) -> None:
    old, new = plan.old, plan.new
    if not (old.commit and new.commit != old.commit and upstream.cache.is_ancestor(new.commit, old.commit)):
        return
    plan.downgrade = True
    if not allow_downgrade:
        raise DowngradeError(
            f"track {plan.branch}: target {new.label} is older than the current pin {old.label}; "
            "pass --allow-downgrade if that is what you want")
    plan.warnings.append(f"downgrade from {old.label} to {new.label}: XSA patches are not re-checked "
                         "against dropped fixes")


def _tarball(plan: TrackPlan, track: XenTrack, version: Version | None, options: BumpOptions) -> None:
    """Tarball mode: the release tarball itself, downloaded unless the pin already has it."""
    new = plan.new
    ver = str(version) if version else describe_parts(new.describe or "")[0].removeprefix("RELEASE-")
    if track.mode == TARBALL and track.version == ver and track.sha256:
        new.version, new.url, new.sha256 = ver, track.url, track.sha256
        return
    template = options.tarball_url or _template_from(track) or DEFAULT_URL
    tb = fetch_release(ver, url_template=template, download_dir=options.download_dir,
                       progress=options.progress, require_signature=options.require_signature,
                       gpg_home=options.gpg_home)
    new.version, new.url, new.sha256, new.signature = ver, tb.url, tb.sha256, tb.signature
    if not tb.signature.startswith("verified"):
        plan.warnings.append(f"signature of {Path(tb.url).name} {tb.signature}")


def _tag_signature(plan: TrackPlan, upstream: UpstreamContext, options: BumpOptions) -> str:
    """Git mode: what the target's signature says -- a RELEASE tag's, checked with `git verify-tag`
    against the pinned Xen.org key; a branch tip or commit has none."""
    new = plan.new
    tag, distance, _ = describe_parts(new.describe) if new.describe else (None, 1, None)
    if tag is None or distance:
        state = gpg.BRANCH_TIP if options.to == "tip" else gpg.COMMIT
    else:
        state = str(gpg.verify_tag(upstream.cache.path, tag, key=gpg.XEN_SIGNING_KEY, gpg_home=options.gpg_home))
    if options.require_signature and not state.startswith(gpg.VERIFIED):
        raise gpg.SignatureError(
            f"--require-signature: track {plan.branch}: the target {new.label} is {state}; bump to a release "
            f"signed by Xen.org (--to X.Y.Z) with its key {gpg.XEN_SIGNING_KEY} in the gpg keyring "
            "(gpg --recv-keys, or --gpg-home DIR)")
    return state


def _decide_queue(plan: TrackPlan, upstream: UpstreamContext, base: Version | None, xsa_dir: Path,
                  index_since_base: bool) -> None:
    """The upstream shortlog, the XSAs it fixes, and a decision per queued XSA."""
    cache, old, target = upstream.cache, plan.old.commit, plan.new.commit
    # shortlog: old..new; XSA index: since the base release, so an XSA that the old pin
    # already carried (queued by mistake, or kept as "unsure" last time) is still seen
    if not index_since_base and not plan.downgrade and target != old and old:
        plan.commits = cache.commits(old, target)
    base_commit = upstream.refs.tags[base.tag] if base else None
    if base_commit and cache.is_ancestor(base_commit, target):
        index = build_index(cache.commits(base_commit, target))
    else:
        index = build_index(plan.commits)
    plan.upstream_xsas = dict(index.commits)
    branch = plan.new_track.branch
    for entry in plan.new_track.xsa:
        paths = [xsa_dir / name for name in entry.patches]
        missing = [str(p) for p in paths if not p.is_file()]
        if missing:
            raise ConfigError(f"manifest: XSA-{entry.number} of track {branch} lists missing patch "
                              f"file(s) {', '.join(missing)}; restore them or remove the entry")
        d = dec.decide(entry.number, list(entry.patches), paths, index, cache.path, target)
        plan.decisions.append(d)
        if d.status == dec.UNSURE:
            plan.warnings.append(f"XSA-{d.number}: {d.note}")
    blocking = [d for d in plan.decisions if d.blocking]
    if blocking:
        lines = "; ".join(f"XSA-{d.number}: {xsa_dir / d.failed_patch} does not apply on {plan.new.label} "
                          f"({d.failure})" for d in blocking)
        raise PatchNoLongerAppliesError(
            f"{lines}; upstream does not carry it yet — refresh the patch for the new base "
            f"(oxt xsa add N FILE…) or bump --to an older commit")


def _new_track(plan: TrackPlan, track: XenTrack, mode: str, upstream: UpstreamContext) -> XenTrack:
    """The track as the manifest will hold it: new pin, licence, the XSAs still queued."""
    new, target = plan.new, plan.new.commit
    kept = tuple(e for e, d in zip(track.xsa, plan.decisions) if not d.drop)
    if not new.describe:
        raise UnknownRefError(f"track {track.branch}: no RELEASE-* tag is reachable from {target[:12]}, so its "
                              "version cannot be described; pick a commit after the branch's first release")
    license_md5 = upstream.cache.file_md5(target, "COPYING")
    if license_md5 is None:
        raise UnknownRefError(f"track {track.branch}: {target[:12]} has no COPYING file; is {upstream.url} xen.git?")
    if track.license_md5 and license_md5 != track.license_md5:
        plan.warnings.append(f"COPYING changed upstream (md5 {track.license_md5} -> {license_md5}): "
                             "license_md5 updated; review the licence change")
    if mode == GIT:
        return replace(track, mode=GIT, srcrev=target, tag=new.tag, describe=new.describe, version=None,
                       url=None, sha256=None, license_md5=license_md5, xsa=kept)
    return replace(track, mode=TARBALL, srcrev=None, tag=None, describe=None, version=new.version, url=new.url,
                   sha256=new.sha256, license_md5=license_md5, xsa=kept)


def _template_from(track: XenTrack) -> str | None:
    if track.url and track.version and track.version in track.url:
        return track.url.replace(track.version, "{version}")
    return None
