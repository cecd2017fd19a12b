"""oxt: build tooling for the meta-openxt layer."""

__version__ = "0.1.0"
