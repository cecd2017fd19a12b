"""XSA detection in commit messages: real upstream shapes (short excerpts of
xen.git messages) and prose mentions that must not count."""

import pytest

from oxt.xen.xsa_index import CommitInfo, backport_of, build_index, xsas_in_message

REAL_SHAPES = [
    ("This is XSA-245.", [245]),
    ("This is XSA-308", [308]),  # no full stop
    ("This is part of XSA-254.", [254]),
    ("This patch is part of XSA-133.", [133]),
    ("This is CVE-2017-15597 / XSA-236.", [236]),
    ("This is CVE-2021-28704 and CVE-2021-28707 / part of XSA-388.", [388]),
    ("This is CVE-2021-28705 and CVE-2021-28709 / XSA-389.", [389]),
    ("This is XSA-425/CVE-2022-42330.", [425]),
    ("This is part of XSA-471 / CVE-2024-36350 / CVE-2024-36357.", [471]),
    ("This is part of XSA-297, CVE-2018-12126, CVE-2018-12127.", [297]),
    ("This is part of CVE-2022-33746 / XSA-410.", [410]),
    ("This is CVE-2015-8339 + CVE-2015-8340 / XSA-159.", [159]),
    ("This is part of XSA155.", [155]),  # typo: no dash
    ("This is XSA254.", [254]),
    ("This is CVE-2026-62435.\n\nEverything together is XSA-501.", [501]),
    ("Denial of Service against Xen.  This is XSA-18 / CVE-2012-3516.", [18]),
    ("This is a security problem, XSA-20 / CVE-2012-4535.", [20]),
    ("This is part of the fix to a security issue, XSA-55.", [55]),
    ("This is part of XSA-351 (or XSA-93 re-born).", [351]),
    ("Merge XSA 206 fixes\n\n    xenstore: limit\n\n    This is part of\n    XSA-206.\n", [206]),  # indented, wrapped
    ("    a\n\n    This is XSA-497.\n\n    b\n\n    This is XSA-498.\n", [497, 498]),
]

PROSE = [
    "x86/vvmx: Fix livelock with XSA-304 fix",
    "fix XSA-158 fix",
    "This is a followup to XSA-175 and XSA-178.",
    "This is a follow-up to XSA-385.",
    "pagetables, leading to the denial-of-service situation outlined in\nXSA-240.",
    "- This is not an XSA because vPMU is not security supported (see\n  XSA-163).",
    "Config.mk: QEMU_UPSTREAM_REVISION update (XSA-180)",
    "This is a preparing patch for fixing XSA-60. Later patch will fix XSA-60",
    "This is CVE-2026-62435.",
]


@pytest.mark.parametrize("message,expected", REAL_SHAPES)
def test_real_shapes(message, expected):
    assert xsas_in_message(message) == expected


@pytest.mark.parametrize("message", PROSE)
def test_prose_mentions_do_not_count(message):
    assert xsas_in_message(message) == []


def test_backport_trailers():
    assert backport_of("x\n\nmaster commit: cf90c8a48af2694d0653f754996a41672a153de4\nmaster date: 2026\n") == \
        "cf90c8a48af2694d0653f754996a41672a153de4"
    assert backport_of("x\n(cherry picked from commit 96dfeb41774ab50c74a01483726db8bb17a31a69)\n") == \
        "96dfeb41774ab50c74a01483726db8bb17a31a69"
    assert backport_of("no trailer") is None


def test_index_groups_multi_commit_xsas_in_order():
    commits = [CommitInfo(f"{i:040x}", f"s{i}", msg) for i, msg in enumerate([
        "a\n\nThis is part of XSA-254.\n\nmaster commit: " + "a" * 40,
        "b\n\nThis is XSA-245.",
        "c\n\nThis is part of XSA254.",
        "d: Fix livelock with XSA-245 fix",
    ])]
    index = build_index(commits)
    assert index.numbers() == [245, 254]
    assert [c.sha for c in index.get(254)] == [commits[0].sha, commits[2].sha]
    assert index.get(254)[0].backport_of == "a" * 40
    assert 180 not in index and index.get(180) == []
