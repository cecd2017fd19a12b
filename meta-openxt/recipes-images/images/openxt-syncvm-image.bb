SUMMARY = "OpenXT syncvm: synchronizer VM"
DESCRIPTION = "Service VM that fetches VM images and policy from a \
               synchronizer server over TLS."
SECTION = "images"

require openxt-image.inc

IMAGE_INSTALL += "packagegroup-openxt-syncvm"
# The icbinn client and its Python bindings reach the files dom0 serves.
IMAGE_INSTALL += "libicbinn-client python3-icbinn"

# libicbinn-resolved (the self-contained static icbinn client for other
# distributions' VMs) is shipped, not installed: in this VM's deploy
# directory (icbinn-resolved/) and in its SDK
# (bitbake mc:syncvm:openxt-syncvm-image -c populate_sdk).
do_image_complete[depends] += "libicbinn-resolved:do_deploy"
TOOLCHAIN_TARGET_TASK:append = " libicbinn-resolved-dev libicbinn-resolved-staticdev"
