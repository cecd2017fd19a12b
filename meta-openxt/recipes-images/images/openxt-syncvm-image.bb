SUMMARY = "OpenXT syncvm: synchronizer VM"

require openxt-image.inc

IMAGE_INSTALL += "packagegroup-openxt-syncvm"
