SUMMARY = "OpenXT syncvm: synchronizer VM"

require openxt-image.inc

IMAGE_INSTALL += "packagegroup-openxt-syncvm"
# The icbinn client and its Python bindings reach the files dom0 serves.
IMAGE_INSTALL += "libicbinn-client python3-icbinn"
