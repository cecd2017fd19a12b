SUMMARY = "a pinned git recipe"
LICENSE = "MIT"
SRC_URI = "git://example.org/hello.git;protocol=https;branch=main"
SRCREV = "0123456789abcdef0123456789abcdef01234567"
