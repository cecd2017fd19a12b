"""Xen upstream tracking: resolve refs, keep a shallow cache of xen.git, find
the XSAs a range of commits carries, decide what happens to queued XSA
patches, fetch release tarballs, plan/apply a `bump xen`, and queue the
published advisories (`xsa sync`).

One job per module:

- :mod:`.versions`  RELEASE-X.Y.Z tag names and version ordering
- :mod:`.upstream`  ``git ls-remote``: branches and (peeled) tags of a remote
- :mod:`.cache`     the cached shallow repository, range fetches, describe/log/apply checks
- :mod:`.progress`  progress output for fetches and downloads (stderr)
- :mod:`.xsa_index` XSA numbers and backport trailers in commit messages
- :mod:`.patches`   validating and naming XSA patch files
- :mod:`.decide`    merged / not merged / unsure per queued XSA
- :mod:`.tarball`   release tarball download, sha256, gpg signature
- :mod:`.model`     the track/XSA data the bump works on (manifest-independent)
- :mod:`.plan`      the bump itself: target resolution, fetch, XSA decisions
- :mod:`.summary`   bump result -> text / markdown / json
- :mod:`.commit`    the one git commit in this repository
- :mod:`.manifest_io` reading/writing tracks through the manifest API
- :mod:`.queue`     the one write path of XSA patches (`xsa add`, `xsa sync`)
- :mod:`.feed`      the security team's advisory feed: index, .meta, signed text, patches
- :mod:`.sync_plan` `xsa sync` decisions per advisory and track (pure functions)
- :mod:`.sync`      `xsa sync` itself: feed -> plan -> checks on the pins -> queue
- :mod:`.sync_report` its text / markdown / json reports and commit message
"""
