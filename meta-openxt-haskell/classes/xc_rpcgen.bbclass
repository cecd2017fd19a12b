# Generate RPC stubs from OpenXT's IDL with xc-rpcgen before configuring.
#
# Recipes list what they need; each entry is an IDL file name without ".xml":
#   XC_RPCGEN_SERVERS     server objects (IDL from xenclient-idl)
#   XC_RPCGEN_CLIENTS     client proxies (IDL from xenclient-idl)
#   XC_RPCGEN_NM_CLIENTS  client proxies of NetworkManager objects, as
#                         <interface file>:<module name>, e.g.
#                         org.freedesktop.NetworkManager.Device:NmDevice
#   XC_RPCGEN_PLAIN       constants and notifications only
# Haskell modules land in ${S}/Rpc/Autogen (module prefix Rpc.Autogen).
#
# Generator and IDL are build-time only and come from native recipes, so a
# lib32 recipe does not pull lib32 copies of them.

XC_RPCGEN_SERVERS ?= ""
XC_RPCGEN_CLIENTS ?= ""
XC_RPCGEN_NM_CLIENTS ?= ""
XC_RPCGEN_PLAIN ?= ""

XC_IDL_DIR = "${STAGING_DATADIR_NATIVE}/idl"
XC_NM_IDL_DIR = "${STAGING_DATADIR_NATIVE}/nm-idl"
XC_RPCGEN_TEMPLATES = "${STAGING_DATADIR_NATIVE}/xc-rpcgen/templates"
XC_RPCGEN_OUT = "${S}/Rpc/Autogen"

XC_RPCGEN_DEPENDS = "xenclient-rpcgen-native xenclient-idl-native"
XC_RPCGEN_DEPENDS += "${@'networkmanager-introspection-native' if d.getVar('XC_RPCGEN_NM_CLIENTS') else ''}"
DEPENDS:append = " ${XC_RPCGEN_DEPENDS}"

# xc_rpcgen ARGS...: one xc-rpcgen run writing Haskell into XC_RPCGEN_OUT.
xc_rpcgen() {
    xc-rpcgen --haskell --templates-dir=${XC_RPCGEN_TEMPLATES} \
        -o ${XC_RPCGEN_OUT} --module-prefix=Rpc.Autogen "$@"
}
xc_rpcgen[doc] = "Runs xc-rpcgen in Haskell mode into XC_RPCGEN_OUT"

do_xc_rpcgen() {
    rm -rf ${XC_RPCGEN_OUT}
    mkdir -p ${XC_RPCGEN_OUT}
    for idl in ${XC_RPCGEN_SERVERS}; do
        xc_rpcgen --server ${XC_IDL_DIR}/$idl.xml
    done
    for idl in ${XC_RPCGEN_CLIENTS}; do
        xc_rpcgen --client ${XC_IDL_DIR}/$idl.xml
    done
    for entry in ${XC_RPCGEN_NM_CLIENTS}; do
        xc_rpcgen --client ${XC_NM_IDL_DIR}/${entry%%:*}.xml -n ${entry#*:}
    done
    for idl in ${XC_RPCGEN_PLAIN}; do
        xc_rpcgen ${XC_IDL_DIR}/$idl.xml
    done
}
addtask xc_rpcgen after do_patch do_prepare_recipe_sysroot before do_configure
do_xc_rpcgen[doc] = "Generates RPC stubs from OpenXT's IDL with xc-rpcgen"
