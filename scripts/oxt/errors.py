"""The one user-error class hierarchy (kas' KasUserError convention).

Anything the user can fix (bad input, bad manifest, dirty tree, unreachable
remote) raises a subclass of :class:`OxtUserError`. The CLI prints its
message on one line and exits with status 2; everything else is a bug and
keeps its traceback.
"""

EXIT_USER_ERROR = 2


class OxtUserError(Exception):
    """A mistake the user can fix; the message says where and what to do."""


class ConfigError(OxtUserError):
    """A kas file, layer file or manifest is invalid."""


class GitError(OxtUserError):
    """A git operation the user asked for cannot be done (dirty tree, bad ref, remote down)."""
