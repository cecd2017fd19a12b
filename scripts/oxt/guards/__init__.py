"""Guards against images that parse but would not build or boot.

Each module holds one pure check: it takes explicit inputs (values read from
the layers, paths) and returns a list of :class:`oxt.problems.Problem`, each
naming a file and line. :mod:`oxt.guards.layer_inputs` reads those inputs
from a composition's layers for ``oxt check``.
"""
