SUMMARY = "Run external processes, with strong typing of streams"
LICENSE = "MIT"
LIC_FILES_CHKSUM = "file://LICENSE;md5=9eacb1d6c7ea8be0f8c4fdadde9546d0"

DEPENDS = "haskell-async haskell-unliftio-core"

inherit hackage

SRC_URI[tarball.sha256sum] = "e436875ccd6664d4111e601c8e2ec6ba9473979eac49b23a1bdb88f80e95099e"

BBCLASSEXTEND = "native"
