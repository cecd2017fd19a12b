SUMMARY = "OpenXT syncvm: synchronizer VM"
DESCRIPTION = "Service VM that fetches VM images and policy from a \
               synchronizer server over TLS."
SECTION = "images"

require openxt-image.inc

IMAGE_INSTALL += "packagegroup-openxt-syncvm"
# The icbinn client and its Python bindings reach the files dom0 serves.
IMAGE_INSTALL += "libicbinn-client python3-icbinn"
