SUMMARY = "OpenXT ndvm: network driver domain"
DESCRIPTION = "Service VM that owns the network cards passed through from \
               dom0, serves the guests' virtual NICs (netback) and manages \
               the uplinks with NetworkManager."
SECTION = "images"

require openxt-image.inc

IMAGE_INSTALL += "packagegroup-openxt-ndvm"
