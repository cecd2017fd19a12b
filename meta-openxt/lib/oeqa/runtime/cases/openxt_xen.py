# SPDX-License-Identifier: MIT
"""OpenXT boot test (kas/testimage.yml): dom0 runs on Xen and starts a VM."""

from oeqa.core.decorator.depends import OETestDepends
from oeqa.runtime.case import OERuntimeTestCase

# A PV guest from the stubdomain's kernel and initramfs, which dom0 carries
# (openxt-stubdomain-initramfs): the smallest service VM there is. Without a
# target domain its /init reports "no target domain" on hvc0 and powers off.
TESTVM_CFG = """name = "openxt-testvm"
type = "pv"
kernel = "/usr/lib/xen/boot/qemu-stubdom-linux-kernel"
ramdisk = "/usr/lib/xen/boot/qemu-stubdom-linux-rootfs"
extra = "console=hvc0"
memory = 128
vcpus = 1
on_poweroff = "destroy"
on_crash = "destroy"
"""


class OpenXTXenTest(OERuntimeTestCase):

    @OETestDepends(['ssh.SSHTest.test_ssh'])
    def test_dom0_on_xen(self):
        status, output = self.target.run('xl info')
        self.assertEqual(status, 0, msg='xl info failed: %s' % output)
        self.assertIn('xen_major', output)
        status, output = self.target.run('uname -r')
        self.assertTrue(output.startswith('4.9.'), msg='dom0 kernel: %s' % output)
        status, output = self.target.run('xl list Domain-0')
        self.assertEqual(status, 0, msg=output)

    @OETestDepends(['openxt_xen.OpenXTXenTest.test_dom0_on_xen'])
    def test_service_vm_boots(self):
        status, output = self.target.run("cat > /tmp/openxt-testvm.cfg <<'EOF'\n%sEOF" % TESTVM_CFG)
        self.assertEqual(status, 0, msg=output)
        # xl attaches to the guest console (-c) until the guest powers off.
        status, output = self.target.run(
            'timeout 600 xl create -c /tmp/openxt-testvm.cfg </dev/null 2>&1', timeout=660)
        self.assertIn('Linux version 4.9.', output, msg='guest kernel did not boot: %s' % output[-4000:])
        self.assertIn('stubdomain: no target domain', output,
                      msg='guest /init did not run: %s' % output[-4000:])
        status, output = self.target.run('xl list openxt-testvm')
        self.assertNotEqual(status, 0, msg='the test VM is still running: %s' % output)
