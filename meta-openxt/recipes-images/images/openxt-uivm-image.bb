SUMMARY = "OpenXT uivm: user-interface VM (X11 and the surf browser)"

require openxt-image.inc

REQUIRED_DISTRO_FEATURES += "x11 opengl"

# X server, xserver-nodm-init, mini-x-session and matchbox.
IMAGE_FEATURES += "x11-base"

IMAGE_INSTALL += "packagegroup-openxt-uivm"
