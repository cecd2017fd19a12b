SUMMARY = "Programs network-slave runs, in the image's default architecture"
DESCRIPTION = "Installed next to lib32-network-slave: the 32-bit service calls \
               these as programs, so the ndvm keeps its 64-bit networking \
               tools."
SECTION = "net"
LICENSE = "MIT"

inherit packagegroup

RDEPENDS:${PN} = "bridge-utils \
                  dnsmasq \
                  ethtool \
                  iproute2 \
                  iptables \
                  net-tools \
                  networkmanager"
