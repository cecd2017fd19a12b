"""Collect every problem first, then fail once.

A checker that stops at the first mistake makes the user run it N times;
``oxt check`` gathers all :class:`Problem` s and raises one
:class:`ProblemsFound`, which the CLI prints one line per problem.
"""

from __future__ import annotations

from dataclasses import dataclass

from oxt.errors import ConfigError


@dataclass(frozen=True, order=True)
class Problem:
    """One user-fixable mistake: where it is, what is wrong, what to do."""

    where: str  # file relative to the checkout, optionally ":LINE"
    what: str  # names the key and value
    fix: str = ""  # what to do about it (empty when `what` says it all)

    def __str__(self) -> str:
        return f"{self.where}: {self.what}; {self.fix}" if self.fix else f"{self.where}: {self.what}"


class ProblemsFound(ConfigError):
    """Raised once with every problem found; one line each."""

    def __init__(self, problems: list[Problem], subject: str = "check"):
        # Same problem found via several compositions is reported once.
        self.problems = sorted(set(problems))
        noun = "problem" if len(self.problems) == 1 else "problems"
        lines = [str(p) for p in self.problems]
        lines.append(f"{len(self.problems)} {noun} found by {subject}; fix them and run it again")
        super().__init__("\n".join(lines))
