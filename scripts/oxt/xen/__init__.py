"""Xen upstream tracking: resolve refs, keep a shallow cache of xen.git, find
the XSAs a range of commits carries, decide what happens to queued XSA
patches, fetch release tarballs, and plan/write a `bump xen`.

One job per module:

- :mod:`.versions`  RELEASE-X.Y.Z tag names and version ordering
- :mod:`.upstream`  ``git ls-remote``: branches and (peeled) tags of a remote
- :mod:`.cache`     the cached shallow repository (one per remote, locked, repaired) and what it answers
- :mod:`.fetch`     range fetches into the cache (shallow-exclude, deepening)
- :mod:`.series`    does a patch series apply (or reverse-apply) on a commit
- :mod:`.context`   the upstream of one command: refs + cache, the commit and release a track pins
- :mod:`.tracks`    which manifest tracks a command works on (--track, --new-track)
- :mod:`.progress`  progress output for fetches and downloads (stderr)
- :mod:`.xsa_index` XSA numbers and backport trailers in commit messages
- :mod:`.patches`   validating and naming XSA patch files
- :mod:`.decide`    merged / not merged / unsure per queued XSA
- :mod:`.gpg`       the pinned Xen.org key; tarball .sig and RELEASE tag signatures (git verify-tag)
- :mod:`.tarball`   release tarball download, sha256, gpg signature
- :mod:`.plan`      one track's bump: target resolution, fetch, XSA decisions (writes nothing)
- :mod:`.bump`      the whole `bump xen`: select, plan, then write and commit
- :mod:`.queue`     `xsa add` (queue an advisory) and `xsa status`
- :mod:`.summary`   bump result -> text / markdown / json, and the status table
- :mod:`.commit`    the one git commit in this repository

The tracks themselves are :class:`oxt.manifest.XenTrack`; writes go through
:class:`oxt.manifest_edit.ManifestDocument` and :mod:`oxt.changeset` (journaled: :mod:`oxt.journal`).
"""
