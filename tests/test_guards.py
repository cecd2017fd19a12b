"""Guards of `oxt check` against images that parse but would not build or boot.

Each guard is tested twice: on its own inputs (small fixture files written
here), and through `oxt check` on a copy of this checkout broken the way the
guard exists to catch, where the message must name the file and line.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from fixtures.checkout import SOURCE, append
from oxt.guards import (dead_recipes, kernel_toolchain, layer_boundaries, listen_all, oldest_kernel, root_device,
                        rpcgen_xml)
from fixtures.check import expect_problem, run_check

NM_FILES = Path("meta-openxt-haskell/recipes-connectivity/networkmanager-introspection/files")
NETWORK_SLAVE = Path("meta-openxt-haskell/dynamic-layers/openxt/recipes-openxt/network-slave/network-slave_git.bb")
VERSIONS_INC = Path("meta-openxt/conf/distro/include/openxt-versions.inc")
GRUB_BOOTCONF = Path("meta-openxt-bsp/recipes-bsp/openxt-grub-bootconf/openxt-grub-bootconf_1.0.bb")
ICBINN_SOCKET = Path("meta-openxt/recipes-support/icbinn/files/icbinn-server.socket")
MANIFEST = Path("recipes-templates/manifest.yml")
XCHXENSTORE = Path("meta-openxt-haskell/dynamic-layers/openxt/recipes-openxt/xclibs/haskell-xchxenstore_git.bb")


def line_of(path: Path, needle: str) -> int:
    return next(n for n, text in enumerate(path.read_text().splitlines(), 1) if needle in text)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


# -- OLDEST_KERNEL -------------------------------------------------------------


def floor(oldest, where=None, version="4.9.337"):
    return oldest_kernel.KernelFloor("dom0", oldest, where, "linux-openxt", version, "versions.inc:11")


def test_oe_core_default_oldest_kernel_is_newer_than_4_9():
    [problem] = oldest_kernel.check([floor(None)])
    assert problem.where == "versions.inc:11"
    assert 'OLDEST_KERNEL = "5.15" (oe-core\'s bitbake.conf default)' in problem.what
    assert "--enable-kernel=5.15" in problem.what and "ENOSYS" in problem.what
    assert 'set OLDEST_KERNEL = "4.9"' in problem.fix


def test_oldest_kernel_at_or_below_the_kernel_passes_and_too_new_names_its_line():
    assert oldest_kernel.check([floor("4.9"), floor("4.9.337"), floor("3.2.0")]) == []
    [problem] = oldest_kernel.check([floor("5.4", "distro.conf:7")])
    assert problem.where == "distro.conf:7" and "set at distro.conf:7" in problem.what


def test_one_problem_names_every_multiconfig_it_breaks():
    floors = [oldest_kernel.KernelFloor(mc, None, None, "linux-openxt", "4.9.337", "v.inc:3") for mc in ("dom0", "ndvm")]
    [problem] = oldest_kernel.check(floors)
    assert "multiconfig dom0, ndvm" in problem.what


# -- root= without initramfs ---------------------------------------------------


@pytest.mark.parametrize("spec, version, ok", [
    ("PARTUUID=a3f1c0de-0d0e-4f5a-8e7b-6f70656e7874", "4.9.337", True),
    ("PARTUUID=a3f1c0de-0d0e-4f5a-8e7b-6f70656e7874/PARTNROFF=1", "4.9.337", True),
    ("PARTUUID=0002dd3e-02", "4.9.337", True),  # MBR: disk signature-partition
    ("/dev/sda2", "4.9.337", True),
    ("/dev/nvme0n1p2", "4.9.337", True),
    ("8:2", "4.9.337", True),
    ("PARTLABEL=openxt-dom0", "4.9.337", False),
    ("PARTLABEL=openxt-dom0", "5.10.1", True),
    ("UUID=1234-5678", "6.6.1", False),
    ("LABEL=root", "4.9.337", False),
    ("PARTUUID=${OPENXT_DOM0_ROOT_PARTUUID}", "4.9.337", False),
])
def test_root_specs_the_kernel_resolves_by_itself(spec, version, ok):
    assert (root_device.unresolvable(spec, version) is None) == ok


def test_an_initramfs_resolves_any_root():
    line = root_device.BootCommandLine("grub.bb:21", "CMDLINE", "root=LABEL=x ro", "4.9.337", initramfs=True)
    assert root_device.check([line]) == []


def test_partlabel_on_4_9_names_file_line_and_variable():
    line = root_device.BootCommandLine("grub.bb:21", "OPENXT_DOM0_CMDLINE", "root=PARTLABEL=openxt-dom0 ro",
                                       "4.9.337", initramfs=False)
    [problem] = root_device.check([line])
    assert problem.where == "grub.bb:21"
    assert "OPENXT_DOM0_CMDLINE passes root=PARTLABEL=openxt-dom0" in problem.what
    assert "knows PARTUUID= but not PARTLABEL=" in problem.what and "PARTUUID" in problem.fix


# -- xc-rpcgen input XML ---------------------------------------------------------

# NetworkManager's own shape (introspection/org.freedesktop.NetworkManager.xml,
# 1.46.6): a method GetDevices next to a property Devices, no tp:enum.
UPSTREAM_SHAPE = """<?xml version="1.0" encoding="UTF-8"?>
<node name="/org/freedesktop/NetworkManager">
  <interface name="org.freedesktop.NetworkManager">
    <method name="GetDevices">
      <arg name="devices" type="ao" direction="out"/>
    </method>
    <property name="Devices" type="ao" access="read"/>
    <property name="State" type="u" access="read"/>
  </interface>
</node>
"""


def test_generated_names_follow_rpcgen(tmp_path):
    root = rpcgen_xml.parse(write(tmp_path / "nm.xml", UPSTREAM_SHAPE))
    names = [g.name for g in rpcgen_xml.client_names(root)]
    # properties first (interfaceStubs = pstubs ++ mstubs), get_ + name, camelised
    assert names == ["orgFreedesktopNetworkManagerGetDevices", "orgFreedesktopNetworkManagerGetState",
                     "orgFreedesktopNetworkManagerGetDevices"]
    assert rpcgen_xml.normalise("com.citrix.xenclient.xenmgr_get_vm-path") == "comCitrixXenclientXenmgrGetVmPath"


def test_property_getter_colliding_with_a_method_is_reported_at_its_line(tmp_path):
    path = write(tmp_path / "nm.xml", UPSTREAM_SHAPE)
    [problem] = rpcgen_xml.check(path, "nm.xml")
    assert problem.where == "nm.xml:4"  # the method; the property is on line 7
    assert "orgFreedesktopNetworkManagerGetDevices" in problem.what and "(line 7)" in problem.what


def test_bad_types_access_and_enums_are_reported(tmp_path):
    path = write(tmp_path / "bad.xml", """<node xmlns:tp="x">
  <interface name="org.example.Bad">
    <property name="Pair" type="uu" access="read"/>
    <property name="Mode" type="u" access="readonly"/>
    <method name="Do"><arg name="x" type="a{" direction="in"/></method>
    <tp:enum name="E" type="o"><tp:enumvalue suffix="A" value="1"/></tp:enum>
    <tp:enum name="F" type="u"><tp:enumvalue value="1"/></tp:enum>
  </interface>
</node>
""")
    found = {p.where: p.what for p in rpcgen_xml.check(path, "bad.xml")}
    assert "not one complete DBus type" in found["bad.xml:3"]
    assert "access 'readonly'" in found["bad.xml:4"]
    assert "'a{'" in found["bad.xml:5"]
    assert "of type 'o'" in found["bad.xml:6"]
    assert "without suffix or value" in found["bad.xml:7"]


def test_malformed_xml_is_one_problem_with_its_line(tmp_path):
    [problem] = rpcgen_xml.check(write(tmp_path / "x.xml", "<node>\n<interface name='a'>\n</node>\n"), "x.xml")
    assert problem.where == "x.xml:3" and "not well-formed" in problem.what


# What network-slave uses from the NetworkManager client modules, at the commit
# the recipe pins (OpenXT/network 23aa61382a71a98b9948628365742c79ee682ec7):
# `grep -ohE 'eNM_[A-Z_]+|orgFreedesktopNetworkManager[A-Za-z]+'` per source
# file, with the Rpc.Autogen.Nm*Client modules that file imports.
NETWORK_SLAVE_USES = {
    "nws/NetworkManager.hs": (
        ["NmManager", "NmDevice", "NmActiveConnection", "NmDeviceWifi", "NmAccessPoint"],
        ["eNM_DEVICE_STATE_ACTIVATED",
         "orgFreedesktopNetworkManagerAccessPointGetFrequency", "orgFreedesktopNetworkManagerAccessPointGetHwAddress",
         "orgFreedesktopNetworkManagerAccessPointGetMaxBitrate", "orgFreedesktopNetworkManagerAccessPointGetMode",
         "orgFreedesktopNetworkManagerAccessPointGetRsnFlags", "orgFreedesktopNetworkManagerAccessPointGetSsid",
         "orgFreedesktopNetworkManagerAccessPointGetStrength", "orgFreedesktopNetworkManagerAccessPointGetWpaFlags",
         "orgFreedesktopNetworkManagerConnectionActiveGetState", "orgFreedesktopNetworkManagerDeviceGetDeviceType",
         "orgFreedesktopNetworkManagerDeviceGetInterface", "orgFreedesktopNetworkManagerDeviceGetManaged",
         "orgFreedesktopNetworkManagerDeviceGetState", "orgFreedesktopNetworkManagerDeviceWirelessGetActiveAccessPoint",
         "orgFreedesktopNetworkManagerGetActiveConnections", "orgFreedesktopNetworkManagerGetDeviceByIpIface",
         "orgFreedesktopNetworkManagerGetState"],
    ),
    "nws/NetworkInterface.hs": (
        ["NmManager", "NmDevice", "NmActiveConnection"],
        ["eNM_ACTIVE_CONNECTION_STATE_ACTIVATED", "eNM_DEVICE_STATE_ACTIVATED", "eNM_DEVICE_STATE_DISCONNECTED",
         "eNM_DEVICE_STATE_UNKNOWN", "eNM_DEVICE_STATE_UNMANAGED", "eNM_DEVICE_TYPE_ETHERNET",
         "eNM_DEVICE_TYPE_MODEM", "eNM_DEVICE_TYPE_WIFI"],
    ),
}


def generated_modules(root: Path) -> dict[str, list[str]]:
    """Module name -> names xc-rpcgen defines in it, for each NM client the recipe generates."""
    text = (root / NETWORK_SLAVE).read_text()
    entries = re.search(r'XC_RPCGEN_NM_CLIENTS = "([^"]*)"', text).group(1).replace("\\", " ").split()
    modules = {}
    for entry in entries:
        xml, module = entry.split(":")
        path = root / NM_FILES / f"{xml}.xml"
        assert rpcgen_xml.check(path, path.name) == []
        modules[module] = [g.name for g in rpcgen_xml.client_names(rpcgen_xml.parse(path))]
    return modules


def test_our_nm_xml_gives_network_slave_every_name_once():
    modules = generated_modules(SOURCE)
    for source, (imported, used) in NETWORK_SLAVE_USES.items():
        for name in used:
            exporters = [m for m in imported if name in modules[m]]
            assert len(exporters) == 1, f"{source}: {name} is defined by {exporters or 'no'} imported module"
    for module, names in modules.items():
        assert len(names) == len(set(names)), f"{module} defines a name twice"


def test_upstream_shaped_nm_xml_fails_network_slave(tmp_path):
    """The same test over NetworkManager's own file shape: the collision and the
    missing constants are what our XML removes."""
    root = rpcgen_xml.parse(write(tmp_path / "nm.xml", UPSTREAM_SHAPE))
    names = [g.name for g in rpcgen_xml.client_names(root)]
    assert len(names) != len(set(names))
    assert not [n for n in names if n.startswith("eNM_")]


# -- services listening everywhere -----------------------------------------------


def unit(name, text, siblings=()):
    return listen_all.UnitFile(f"files/{name}", name, text, tuple(siblings))


def test_socket_on_a_bare_port_or_any_address_is_reported_with_its_line():
    text = "[Socket]\nListenStream=4878\nListenStream=0.0.0.0:4879\nListenStream=[::]:1\nListenStream=/run/x.sock\n"
    problems = listen_all.check([unit("a.socket", text)])
    assert [p.where for p in problems] == ["files/a.socket:2", "files/a.socket:3", "files/a.socket:4"]
    assert "listens on every interface" in problems[0].what


def test_socket_on_one_address_or_interface_or_with_a_reason_passes():
    assert listen_all.check([
        unit("a.socket", "[Socket]\nListenStream=127.0.0.1:4878\n"),
        unit("b.socket", "[Socket]\nListenStream=4878\nBindToDevice=vif1.0\n"),
        unit("c.socket", "# oxt: listens on all interfaces: the installer's DHCP answers\n[Socket]\nListenDatagram=67\n"),
    ]) == []


def test_service_binding_its_own_port_is_reported_unless_socket_activated():
    text = "[Service]\nExecStart=/usr/bin/icbinn_svc -p 4878 -p 4879\n"
    [problem] = listen_all.check([unit("icbinn.service", text)])
    assert problem.where == "files/icbinn.service:2" and "binds its own port" in problem.what
    assert listen_all.check([unit("icbinn.service", text, siblings=["icbinn.socket"])]) == []
    assert listen_all.check([unit("d.service", "[Service]\nExecStart=/usr/bin/daemon --foreground\n")]) == []


# -- dead recipes ------------------------------------------------------------------


def refs(pn, mentions=(), packages=()):
    return dead_recipes.RecipeRefs(pn, f"{pn}.bb:1", frozenset(packages), frozenset(mentions))


def test_reachability_follows_packages_multilib_and_native_names():
    recipes = [
        refs("img", ["pkggroup-vm", "lib32-tool"]),
        refs("pkggroup", packages=["pkggroup-vm"], mentions=["lib"]),
        refs("tool", ["gen-native"]),
        refs("gen"),
        refs("lib"),
        refs("orphan", ["lib"]),
    ]
    [problem] = dead_recipes.check(recipes, {"img"})
    assert problem.where == "orphan.bb:1" and "recipe orphan is reached by no image" in problem.what


# -- a recipe needs only what its layer's dependencies provide ----------------------


def our_layer(name, coll, depends=()):
    return layer_boundaries.OurLayer(name, frozenset([coll]), frozenset(depends))


def needs(pn, layer, names=(), provides=(), dynamic=()):
    return layer_boundaries.RecipeNeeds(pn, layer, frozenset(dynamic), frozenset({pn, *provides}),
                                        tuple((n, "DEPENDS", f"{pn}.bb:7") for n in names))


LAYERS = {"meta-distro": our_layer("meta-distro", "distro", ["haskell", "core"]),
          "meta-haskell": our_layer("meta-haskell", "haskell", ["core", "tools"]),
          "meta-tools": our_layer("meta-tools", "tools")}


def test_a_recipe_needing_a_layer_outside_its_layerdepends_is_reported():
    recipes = [needs("xen-libxenstore", "meta-distro"), needs("xchxenstore", "meta-haskell", ["lib32-xen-libxenstore"])]
    [problem] = layer_boundaries.check(LAYERS, recipes)
    assert problem.where == "xchxenstore.bb:7"
    assert "needs lib32-xen-libxenstore (DEPENDS), which only meta-distro provides" in problem.what
    assert "does not LAYERDEPENDS on distro" in problem.what and "Nothing PROVIDES" in problem.what
    assert "LAYERDEPENDS_haskell" in problem.fix and "meta-haskell/dynamic-layers/distro/" in problem.fix


def test_layerdepends_transitively_dynamic_layers_and_unknown_names_pass():
    recipes = [
        needs("xen-libxenstore", "meta-distro", provides=["xen-libxenstore-dev"]),
        needs("rpcgen", "meta-tools"),
        needs("network-slave", "meta-distro", ["rpcgen-native", "ghc"]),  # distro -> haskell -> tools
        needs("ghc", "meta-haskell", ["rpcgen-native", "glibc"]),  # tools: a LAYERDEPENDS; glibc: upstream
        needs("xchxenstore", "meta-haskell", ["xen-libxenstore-dev"], dynamic=["distro"]),
    ]
    assert layer_boundaries.check(LAYERS, recipes) == []
    assert layer_boundaries.visible(LAYERS, {"distro"}) == {"distro", "haskell", "core", "tools"}


# -- the toolchain that compiled the kernel -------------------------------------


def toolchain(mc="dom0", gcc=None, binutils=None, kernel="linux-openxt", gcc_where=None, binutils_where=None):
    return kernel_toolchain.StackToolchain(mc, kernel, gcc, gcc_where, binutils, binutils_where)


RECORD = kernel_toolchain.Record("linux-openxt", "4.9.337", "13.3", "2.44", "manifest.yml:68")


def test_scarthgap_defaults_are_what_compiled_the_kernel():
    # oe-core scarthgap: GCCVERSION "13.%" (13.4 today: same major), BINUVERSION "2.42%" (older than 2.44)
    assert kernel_toolchain.check([toolchain(), toolchain("ndvm", "13.%", "2.42%")], RECORD) == []


def test_a_newer_gcc_major_is_reported_where_it_is_set_with_every_multiconfig():
    tcs = [toolchain(mc, gcc="14.%", gcc_where="kas/openxt.yml:40") for mc in ("dom0", "ndvm")]
    [problem] = kernel_toolchain.check(tcs, RECORD)
    assert problem.where == "kas/openxt.yml:40"
    assert 'GCCVERSION = "14.%" (set at kas/openxt.yml:40) is newer than gcc 13.3' in problem.what
    assert "linux-openxt 4.9.337 (manifest.yml:68)" in problem.what and "multiconfig dom0, ndvm" in problem.what
    assert "raise linux.compiled_with.gcc" in problem.fix


def test_a_newer_binutils_default_is_reported_at_the_record():
    record = kernel_toolchain.Record("linux-openxt", "4.9.337", "13.3", "2.41", "manifest.yml:68")
    [problem] = kernel_toolchain.check([toolchain()], record)
    assert problem.where == "manifest.yml:68"
    assert "BINUVERSION = \"2.42%\" (oe-core scarthgap's tcmode-default.inc) is newer than binutils 2.41" in problem.what


def test_a_missing_record_and_an_unreadable_version_fail_another_kernel_is_not_ours():
    missing = kernel_toolchain.Record("linux-openxt", "4.9.337", None, None, "manifest.yml")
    [problem] = kernel_toolchain.check([toolchain()], missing)
    assert problem.where == "manifest.yml" and "no linux.compiled_with" in problem.what
    [problem] = kernel_toolchain.check([toolchain(gcc="${GCC_MAJOR}.%", gcc_where="local.conf:3")], RECORD)
    assert problem.where == "local.conf:3"
    assert kernel_toolchain.check([toolchain(kernel="linux-yocto", gcc="15.%")], RECORD) == []
    assert kernel_toolchain.check([toolchain(kernel="linux-yocto")], missing) == []


# -- through oxt check, on a broken copy of this checkout ---------------------------


@pytest.mark.slow
def test_check_passes_on_this_checkout(capsys, checkout):
    rc, _, err = run_check(checkout)
    assert rc == 0, err


@pytest.mark.slow
def test_check_reports_the_oe_core_oldest_kernel(capsys, checkout):
    inc = checkout / VERSIONS_INC
    inc.write_text("\n".join(l for l in inc.read_text().splitlines() if not l.startswith("OLDEST_KERNEL")) + "\n")
    expect_problem(checkout, where=f"{VERSIONS_INC}:{line_of(inc, 'PREFERRED_VERSION_linux-openxt')}",
                   says=['OLDEST_KERNEL = "5.15"', "linux-openxt 4.9.337", "multiconfig dom0, ndvm"])


@pytest.mark.slow
def test_check_reports_partlabel_root(capsys, checkout):
    recipe = checkout / GRUB_BOOTCONF
    recipe.write_text(recipe.read_text().replace("root=PARTUUID=${OPENXT_DOM0_ROOT_PARTUUID}", "root=PARTLABEL=openxt-dom0"))
    expect_problem(checkout, where=f"{GRUB_BOOTCONF}:{line_of(recipe, 'OPENXT_DOM0_CMDLINE ?=')}",
                   says=["root=PARTLABEL=openxt-dom0", "not PARTLABEL="])


@pytest.mark.slow
def test_check_reports_a_getter_colliding_in_our_nm_xml(capsys, checkout):
    xml = checkout / NM_FILES / "org.freedesktop.NetworkManager.xml"
    xml.write_text(xml.read_text().replace(
        '    <property name="State"',
        '    <method name="GetState"><arg name="state" type="u" direction="out"/></method>\n    <property name="State"'))
    expect_problem(checkout, where=f"{NM_FILES}/org.freedesktop.NetworkManager.xml:{line_of(xml, 'GetState')}",
                   says=["orgFreedesktopNetworkManagerGetState", "define it twice"])


@pytest.mark.slow
def test_check_reports_icbinn_listening_everywhere(capsys, checkout):
    sock = checkout / ICBINN_SOCKET
    text = sock.read_text().replace("@ICBINN_LISTEN_ADDRESS@:4878", "4878")
    sock.write_text("\n".join(l for l in text.splitlines() if not l.startswith("BindToDevice")) + "\n")
    expect_problem(checkout, where=f"{ICBINN_SOCKET}:{line_of(sock, 'ListenStream=4878')}",
                   says=["ListenStream=4878 listens on every interface"])


@pytest.mark.slow
def test_check_reports_a_recipe_nothing_builds(capsys, checkout):
    write(checkout / "meta-openxt/recipes-support/orphan/orphan_1.0.bb", 'SUMMARY = "unused"\nLICENSE = "MIT"\n')
    expect_problem(checkout, where="meta-openxt/recipes-support/orphan/orphan_1.0.bb:1",
                   says=["recipe orphan is reached by no image, deploy or SDK target"])


@pytest.mark.slow
def test_check_reports_a_gcc_newer_than_the_one_that_compiled_the_kernel(capsys, checkout):
    inc = checkout / VERSIONS_INC
    append(inc, 'GCCVERSION = "15.%"\n')
    manifest = (checkout / MANIFEST).read_text()
    expect_problem(checkout, where=f"{VERSIONS_INC}:{line_of(inc, 'GCCVERSION')}",
                   says=['GCCVERSION = "15.%"', "newer than gcc 13.3",
                         f"linux-openxt 4.9.337 ({MANIFEST}:{line_of(checkout / MANIFEST, '  compiled_with:')})",
                         "multiconfig dom0, ndvm"])
    assert (checkout / MANIFEST).read_text() == manifest


@pytest.mark.slow
def test_check_reports_a_kernel_nobody_compiled(capsys, checkout):
    path = checkout / MANIFEST
    text = path.read_text()
    start = text.index("  # The newest toolchain a real compile")
    end = text.index('    binutils: "', start)
    path.write_text(text[:start] + text[text.index("\n", end) + 1:])
    expect_problem(checkout, where=str(MANIFEST), says=["no linux.compiled_with", "linux-openxt 4.9.337"])


@pytest.mark.slow
def test_check_reports_a_recipe_needing_a_layer_its_layer_does_not_depend_on(capsys, checkout):
    # haskell-xchxenstore as it was before it moved under dynamic-layers/openxt:
    # meta-openxt-haskell alone (yocto-check-layer) cannot provide xen-libxenstore.
    moved = checkout / "meta-openxt-haskell/recipes-openxt/xclibs/haskell-xchxenstore_git.bb"
    (checkout / XCHXENSTORE).rename(moved)
    moved.write_text(moved.read_text().replace("require recipes-openxt/xclibs/xclibs.inc", "require xclibs.inc"))
    expect_problem(checkout, where=f"{moved.relative_to(checkout)}:{line_of(moved, 'DEPENDS =')}",
                   says=["recipe haskell-xchxenstore (meta-openxt-haskell) needs xen-libxenstore (DEPENDS)",
                         "only meta-openxt provides", "does not LAYERDEPENDS on openxt"])
