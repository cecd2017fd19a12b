SUMMARY = "OpenXT uivm: user-interface VM (X11 and the surf browser)"
DESCRIPTION = "Service VM that shows the OpenXT user interface: an X11 \
               session on the Xen PV framebuffer with the surf browser."
SECTION = "images"

require openxt-image.inc

REQUIRED_DISTRO_FEATURES += "x11 opengl"

# X server, xserver-nodm-init, mini-x-session and matchbox.
IMAGE_FEATURES += "x11-base"

IMAGE_INSTALL += "packagegroup-openxt-uivm"
