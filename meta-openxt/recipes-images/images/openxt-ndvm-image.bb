SUMMARY = "OpenXT ndvm: network driver domain"

require openxt-image.inc

IMAGE_INSTALL += "packagegroup-openxt-ndvm"
