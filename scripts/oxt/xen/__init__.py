"""Xen upstream tracking: resolve refs, keep a shallow cache of xen.git, find
the XSAs a range of commits carries, decide what happens to queued XSA
patches, fetch release tarballs, plan/write a `bump xen`, and queue the
published advisories (`xsa sync`).

One job per module:

- :mod:`.versions`  RELEASE-X.Y.Z tag names and version ordering
- :mod:`.upstream`  ``git ls-remote``: branches and (peeled) tags of a remote
- :mod:`.cache`     the cached shallow repository and what it answers (describe, log, md5)
- :mod:`.fetch`     range fetches into the cache (shallow-exclude, deepening)
- :mod:`.context`   the upstream of one command: refs + cache, the commit and release a track pins,
                    the commit a ref names and the range fetched for it
- :mod:`.refs`      tip / X.Y.Z / RELEASE-X.Y.Z / commit id: what a user's ref text names
- :mod:`.tracks`    which manifest tracks a command works on (--track, --new-track)
- :mod:`.progress`  progress output for fetches and downloads (stderr)
- :mod:`.xsa_index` XSA numbers and backport trailers in commit messages
- :mod:`.patches`   validating and naming XSA patch files
- :mod:`.decide`    merged / not merged / unsure per queued XSA
- :mod:`.tarball`   release tarball download, sha256, gpg signature
- :mod:`.plan`      one track's bump: target resolution, fetch, XSA decisions (writes nothing)
- :mod:`.bump`      the whole `bump xen`: select, plan, then write and commit
- :mod:`.queue`     `xsa add` (queue an advisory) and `xsa status`
- :mod:`.summary`   bump result -> text / markdown / json, and the status table
- :mod:`.commit`    the one git commit in this repository

The tracks themselves are :class:`oxt.manifest.XenTrack`; writes go through
:class:`oxt.manifest_edit.ManifestDocument` and :mod:`oxt.changeset`.

The patch series as bitbake applies it (`oxt xen`):

- :mod:`.patchfile`    one patch file: its file sections, Subject, Upstream-Status, fitness to queue
- :mod:`.series`       the engine: a series applied on a commit as do_patch does (clean/offset/fuzz/fails/carried);
                       every "does it apply" of `bump xen`, `xsa add` and `oxt xen` goes through it
- :mod:`.gnupatch`     GNU patch as quilt runs it, and its report read back
- :mod:`.gitobjects`   blobs of a commit read from git's object database (cat-file --batch)
- :mod:`.survey`       the series along a branch range: release tags + bisection to the breaking commits
- :mod:`.refresh`      rewrite offset/fuzz patches to apply exactly, headers kept
- :mod:`.track_series` a track's series per recipe, in the rendered SRC_URI order (or a quilt series file)
- :mod:`.metavirt`     meta-virtualization's own Xen patches, read where bitbake finds them
- :mod:`.series_check` the checks of bump xen / xsa add / xen patch add: new patches on top of the series,
                       the whole series at a bump's target with the commit that broke each patch
- :mod:`.series_ops`   what `oxt xen series|survey|refresh` do between the CLI and the engine
- :mod:`.openxt_queue` `oxt xen patch add|remove`: the OpenXT queue in the manifest
- :mod:`.series_report` results -> text / markdown / JSON

The published advisories (`xsa sync`):

- :mod:`.feed`        the security team's advisory feed: index, .meta, signed text, patches
- :mod:`.sync_plan`   `xsa sync` decisions per advisory and track (pure functions)
- :mod:`.sync`        `xsa sync` itself: feed -> plan -> the series engine on the pins -> queue
- :mod:`.sync_report` its text / markdown / json reports and commit message
"""
