SUMMARY = "OpenXT ndvm: network driver domain"
DESCRIPTION = "Service VM that owns the network cards passed through from \
               dom0, serves the guests' virtual NICs (netback) and manages \
               the uplinks with NetworkManager."
SECTION = "images"

require openxt-image.inc

IMAGE_INSTALL += "packagegroup-openxt-ndvm"

# OpenXT's network slave as a 32-bit program (ndvm.conf enables lib32), and
# the 64-bit tools it runs (the lib32 package does not pull lib32 twins).
IMAGE_INSTALL += "lib32-network-slave packagegroup-network-slave-runtime"
