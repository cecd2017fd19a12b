"""The advisory feed's formats (oxt.xen.feed) and the sync decisions
(oxt.xen.sync_plan), as pure functions: no server, no git."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from pathlib import Path

import pytest
from oxt.manifest import XenTrack, Xsa
from oxt.xen import sync_plan as S
from oxt.xen.feed import (
    EMBARGOED,
    PUBLIC,
    WITHDRAWN,
    FeedError,
    IndexEntry,
    Meta,
    PatchFile,
    TreeRecipe,
    cleartext,
    expand,
    parse_advisory,
    parse_index,
    parse_meta,
)

NOW = dt.datetime(2026, 5, 1, tzinfo=dt.UTC)
URL = "https://feed.invalid/xsa/"


def index(*items) -> bytes:
    return json.dumps([{"xsas": list(items)}]).encode()


# -- the index --------------------------------------------------------------------------------------


def test_index_in_the_published_shape_with_every_state():
    entries = parse_index(index(
        {"xsa": 470, "title": "x86: a bug", "public_time": "2026-01-14T12:00:00Z", "cve": ["CVE-2026-1"],
         "updated_time": "2026-01-15T10:00:00Z", "anything": {"new": 1}},  # unknown keys are fine
        {"xsa": "471", "title": "old format time", "public_time": "2013-06-03 16:18", "cve": "CVE-2013-2"},
        {"xsa": 472, "title": "", "public_time": "2026-06-01T12:00:00Z"},  # not public yet
        {"xsa": 473, "title": "Something (withdrawn)", "public_time": "2026-01-01T00:00:00Z"},
        {"xsa": 474, "public_time": None},
        {"xsa": 475, "title": "x", "public_time": "2026-01-01T00:00:00Z", "withdrawn": True},
        {"xsa": 476, "title": "mail-style date", "public_time": "Wed, 14 Jan 2026 12:00:00 GMT"},
    ), URL + "xsa.json", NOW)
    got = {e.number: (e.state, e.cves) for e in entries}
    assert got == {470: (PUBLIC, ("CVE-2026-1",)), 471: (PUBLIC, ("CVE-2013-2",)), 472: (EMBARGOED, ()),
                   473: (WITHDRAWN, ()), 474: (EMBARGOED, ()), 475: (WITHDRAWN, ()), 476: (PUBLIC, ())}
    assert entries[1].public_time == dt.datetime(2013, 6, 3, 16, 18, tzinfo=dt.UTC)
    assert [e.number for e in entries] == sorted(got)


def test_index_entry_digest_changes_with_the_entry():
    one = parse_index(index({"xsa": 1, "title": "a", "public_time": "2020-01-01T00:00:00Z"}), URL, NOW)[0]
    two = parse_index(index({"xsa": 1, "title": "a", "public_time": "2020-01-01T00:00:00Z", "version": 2}), URL, NOW)[0]
    assert one.digest != two.digest


@pytest.mark.parametrize("raw, expected", [
    (b"[{\"xsas\": [", "xsa.json: the advisory index is not valid JSON (line 1"),
    (b"\"just a string\"", "expected a list of advisories"),
    (index({"title": "no number"}), "entry 0: key 'xsa': expected the advisory number"),
    (index({"xsa": 470, "public_time": "next tuesday"}), "XSA-470: key 'public_time': 'next tuesday' is not a date"),
    (index({"xsa": 470, "cve": [1, 2]}), "XSA-470: key 'cve': expected a list of CVE ids"),
    (index({"xsa": 470, "title": ["a"]}), "XSA-470: key 'title': expected a string"),
])
def test_malformed_index_names_the_advisory_and_key(raw, expected):
    with pytest.raises(FeedError) as err:
        parse_index(raw, URL + "xsa.json", NOW)
    assert expected in str(err.value)


# -- .meta ------------------------------------------------------------------------------------------


def meta_json(**over) -> dict:
    data = {"XSA": 470, "SupportedVersions": ["master", "4.20", "4.19"], "Trees": ["xen"], "Unknown": [1],
            "Recipes": {
                "master": {"XenVersion": "master", "Recipes": {"xen": {"StableRef": "a" * 40, "Prereqs": [],
                                                                        "Patches": ["xsa470.patch"]}}},
                "4.19": {"XenVersion": "4.19", "Recipes": {
                    "xen": {"StableRef": "b" * 40, "Prereqs": [468, "469"], "Patches": ["xsa470-4.19/*"]},
                    "qemu-xen": {"StableRef": "", "Prereqs": [], "Patches": ["xsa470-qemu.patch"]}}},
            }}
    data.update(over)
    return data


def test_meta_in_the_published_shape():
    meta = parse_meta(json.dumps(meta_json()).encode(), 470, URL + "xsa470.meta")
    assert meta.supported_versions == ("master", "4.20", "4.19")
    r = meta.recipe("4.19")
    assert r == TreeRecipe("xen", "b" * 40, (468, 469), ("xsa470-4.19/*",))
    assert meta.recipe("4.19", "qemu-xen").patterns == ("xsa470-qemu.patch",)
    # exactly the version asked for: never master's or another version's set
    assert meta.recipe("4.20") is None and meta.recipe("4.6") is None


@pytest.mark.parametrize("over, expected", [
    ({"XSA": 471}, "XSA-470: key 'XSA' says 471"),
    ({"Recipes": []}, "XSA-470: key 'Recipes': expected a mapping of Xen versions, got a list"),
    ({"Recipes": {"4.19": {"Recipes": "xen"}}}, "key 'Recipes.4.19.Recipes': expected a mapping of trees"),
    ({"Recipes": {"4.19": {"Recipes": {"xen": {"Prereqs": "none", "Patches": []}}}}},
     "key 'Recipes.4.19.Recipes.xen.Prereqs': expected a list of XSA numbers, got 'none'"),
    ({"Recipes": {"4.19": {"Recipes": {"xen": {"Patches": "xsa470.patch"}}}}},
     "key 'Patches': expected a list of strings"),
    ({"Recipes": {"4.19": {"Recipes": {"xen": {"Patches": ["../../etc/passwd"]}}}}}, "refusing to fetch outside"),
    ({"SupportedVersions": "4.19"}, "key 'SupportedVersions': expected a list of strings"),
])
def test_malformed_meta_names_the_advisory_and_key(over, expected):
    with pytest.raises(FeedError) as err:
        parse_meta(json.dumps(meta_json(**over)).encode(), 470, URL + "xsa470.meta")
    assert expected in str(err.value) and "xsa470.meta" in str(err.value)


def test_meta_that_is_not_json():
    with pytest.raises(FeedError, match=r"xsa470.meta: the .meta of XSA-470 is not valid JSON"):
        parse_meta(b"{'Recipes': }", 470, URL + "xsa470.meta")


# -- the advisory text ---------------------------------------------------------------------------------

TEXT = """\
-----BEGIN PGP SIGNED MESSAGE-----
Hash: SHA256

            Xen Security Advisory CVE-2026-42488 / XSA-494
                               version 3

                    x86: mismatched mapcache
                    metadata

UPDATES IN VERSION 3
====================

Public release.

- - a dash-escaped line

$ sha256sum xsa494*
6e3328f73000afdfffa5e4d9fec89a4c9456d97758bfa1a0605765a386565328  xsa494.patch
483675d6cb69b70e919110f58814b047787c3b53def344cf32f4acdd7ee9b271  xsa494-4.17.patch
$ sha256sum xsa494-4.16/*
a70aa60fb5dcf171025c5d90e332dcae95a83bbf9d42ab45451f629621f455e5  xsa494-4.16/0002-b.patch
14f96aa60fb5dcf171025c5d90e332dcae95a83bbf9d42ab45451f629621f455  xsa494-4.16/0001-a.patch
$
-----BEGIN PGP SIGNATURE-----

iQEzBAEBCAAdFiEE
-----END PGP SIGNATURE-----
unsigned text after the signature: 0000000000000000000000000000000000000000000000000000000000000000  evil.patch
"""


def test_advisory_text_cleartext_header_and_sha256_list():
    body, signed = cleartext(TEXT)
    assert signed and "- a dash-escaped line" in body and "- - a" not in body
    assert "evil.patch" not in body, "only the signed part counts"
    adv = parse_advisory(body, 494, URL + "advisory-494.txt", "verified (X)")
    assert (adv.number, adv.version, adv.title) == (494, 3, "x86: mismatched mapcache metadata")
    assert adv.sha256["xsa494-4.17.patch"].startswith("483675d6")
    assert set(adv.sha256) == {"xsa494.patch", "xsa494-4.17.patch", "xsa494-4.16/0002-b.patch",
                               "xsa494-4.16/0001-a.patch"}
    assert not adv.withdrawn
    with pytest.raises(FeedError, match="the text is XSA-494, not XSA-495"):
        parse_advisory(body, 495, URL + "advisory-495.txt", "unsigned")


def test_glob_patterns_expand_among_the_listed_files_in_order():
    listed = ["xsa494.patch", "xsa494-4.16/0002-b.patch", "xsa494-4.16/0001-a.patch", "xsa494-4.17.patch"]
    assert expand(("xsa494-4.16/*",), listed, "w") == ["xsa494-4.16/0001-a.patch", "xsa494-4.16/0002-b.patch"]
    assert expand(("xsa494-4.17.patch",), listed, "w") == ["xsa494-4.17.patch"]
    assert expand(("xsa494*",), listed, "w") == ["xsa494-4.17.patch", "xsa494.patch"], "'*' never crosses '/'"
    with pytest.raises(FeedError, match="'xsa494-4.18.patch' names no file in the advisory's sha256 list"):
        expand(("xsa494-4.18.patch",), listed, "w")


# -- the sync decisions ------------------------------------------------------------------------------------


def entry(n, state=PUBLIC) -> IndexEntry:
    return IndexEntry(n, f"issue {n}", dt.datetime(2026, 1, 1, tzinfo=dt.UTC), (), state, str(n))


def meta(n, versions=("4.19", "master"), prereqs=(), trees=("xen",)) -> Meta:
    recipes = {v: {t: TreeRecipe(t, "c" * 40, tuple(prereqs), (f"xsa{n}-{v}-{t}.patch",)) for t in trees}
               for v in versions}
    return Meta(n, tuple(versions), tuple(trees), recipes)


T19 = XenTrack("stable-4.19", "git", "0" * 32, srcrev="d" * 40, tag="RELEASE-4.19.6")
T20 = XenTrack("stable-4.20", "git", "0" * 32, srcrev="e" * 40, tag="RELEASE-4.20.2")
ADVISORY = "https://xenbits.xen.org/xsa/advisory-{}.html"


def statuses(sp: S.SyncPlan) -> dict:
    return {(a.xsa, a.track): a.status for adv in sp.advisories for a in adv.actions}


def test_plan_every_status():
    entries = [entry(n) for n in (500, 501, 502, 503, 504, 505, 506)] + [entry(507, EMBARGOED), entry(508, WITHDRAWN)]
    metas = {500: meta(500), 501: meta(501, prereqs=(500,)), 502: meta(502, versions=("master", "4.21")),
             503: meta(503), 504: meta(504, trees=("qemu-xen",)), 505: meta(505, prereqs=(507,)),
             506: None}
    t19 = replace(T19, xsa=(Xsa(503, ("xsa503.patch",), ADVISORY.format(503)),))
    sp = S.plan(entries, metas, [t19], {"stable-4.19": {500: ("f" * 40,)}})
    assert statuses(sp) == {
        (500, "stable-4.19"): S.CARRIED, (501, "stable-4.19"): S.QUEUE, (502, "stable-4.19"): S.NO_PATCH,
        (503, "stable-4.19"): S.ALREADY, (504, "stable-4.19"): S.OTHER_TREE, (505, "stable-4.19"): S.BLOCKED,
    }
    assert sp.action(502, "stable-4.19").note.startswith("no patch published for 4.19 (the advisory has patches "
                                                         "for: master, 4.21)")
    assert sp.action(505, "stable-4.19").note == "prerequisite XSA-507: embargoed"
    # embargoed, withdrawn and meta-less advisories get no action at all
    assert {a.number: (a.status, a.actions) for a in sp.advisories if a.number > 505} == {
        506: (S.NO_META, ()), 507: (EMBARGOED, ()), 508: (WITHDRAWN, ())}
    assert sp.order == {"stable-4.19": (501,)}


def test_prerequisites_come_first_even_outside_the_selection():
    entries = [entry(n) for n in (600, 601, 602)]
    metas = {600: meta(600), 601: meta(601, prereqs=(602,)), 602: meta(602, prereqs=(600,))}
    sp = S.plan(entries, metas, [T19, replace(T20, xsa=(Xsa(600, ("a",), ADVISORY.format(600)),))], {}, only=(601,))
    assert sp.order["stable-4.19"] == (600, 602, 601)
    assert sp.order["stable-4.20"] == (), "4.20 has no 4.20 recipe at all"
    assert [(a.number, a.target) for a in sp.advisories] == [(600, False), (601, True), (602, False)]
    assert S.prerequisites_to_fetch(entries, {601: metas[601]}, [T19]) == {602}


def test_prerequisite_cycle_is_blocked_not_a_hang():
    entries = [entry(700), entry(701)]
    metas = {700: meta(700, prereqs=(701,)), 701: meta(701, prereqs=(700,))}
    sp = S.plan(entries, metas, [T19], {})
    assert {statuses(sp)[(n, "stable-4.19")] for n in (700, 701)} == {S.BLOCKED}
    assert "cycle" in sp.action(700, "stable-4.19").note + sp.action(701, "stable-4.19").note


def test_settle_checks_the_series_in_order_and_blocks_dependents_of_a_failure():
    entries = [entry(n) for n in (800, 801, 802, 803, 804, 805)]
    metas = {n: meta(n, prereqs=(800,) if n == 801 else ()) for n in (800, 801, 802, 803, 804, 805)}
    sp = S.plan(entries, metas, [T19], {})
    series_seen = []
    refused = {800: S.Verdict(S.FAILS, "xsa800-4.19-xen.patch: does not apply; a person must backport it"),
               803: S.Verdict(S.CARRIED, "xsa803-4.19-xen.patch: upstream already carries it (reverse-applies)"),
               804: S.Verdict(S.FUZZY, "xsa804-4.19-xen.patch: applies only with fuzz 1")}

    def check(track, candidates):
        series_seen.append([c.xsa for c in candidates])
        verdicts = {c.xsa: refused.get(c.xsa, S.Verdict(S.QUEUED, data=(b"%d" % c.xsa,))) for c in candidates}
        # 805 applies, but an OpenXT patch after it no longer does
        return verdicts, ["openxt/0001-x.patch fails (x.c:3 hunk #1)"] if 805 in verdicts else []

    def fetch(n, recipe):
        return (PatchFile(recipe.patterns[0], URL + recipe.patterns[0], Path("/nonexistent"), "0" * 64),)

    sp = S.settle(sp, [T19], fetch=fetch, check=check, read=lambda n: ("verified (X)", 2))
    assert statuses(sp) == {(800, "stable-4.19"): S.FAILS, (801, "stable-4.19"): S.BLOCKED,
                            (802, "stable-4.19"): S.QUEUED, (803, "stable-4.19"): S.CARRIED,
                            (804, "stable-4.19"): S.FUZZY, (805, "stable-4.19"): S.BREAKS}
    assert sp.action(800, "stable-4.19").note.endswith("a person must backport it")
    assert sp.action(801, "stable-4.19").note == "prerequisite XSA-800 is not queued: does-not-apply"
    assert "openxt/0001-x.patch fails" in sp.action(805, "stable-4.19").note
    # what is queued is what the check said (a refreshed patch's bytes)
    assert sp.action(802, "stable-4.19").data == (b"802",) and sp.action(800, "stable-4.19").data == ()
    # all at once first; then one by one on top of the accepted: 801 never checked (its prerequisite failed)
    assert series_seen == [[800, 801, 802, 803, 804, 805], [800], [802], [802, 803], [802, 804], [802, 805]]
    assert [a.xsa for a in sp.manual] == [800, 801, 804, 805]
    data = S.to_data(sp, feed=URL, dry_run=True)
    assert data["manual"] == 4
    assert {(a["xsa"], t["status"]) for a in data["advisories"] for t in a["tracks"]} >= {(802, "would-queue")}
    assert next(a for a in data["advisories"] if a["xsa"] == 802)["signature"] == "verified (X)"


def test_settle_checks_everything_at_once_when_it_applies():
    entries = [entry(n) for n in (900, 901, 902)]
    metas = {900: meta(900), 901: meta(901, prereqs=(900,)), 902: meta(902)}
    sp = S.plan(entries, metas, [T19, T20], {})
    calls = []

    def fetch(n, recipe):
        return (PatchFile(recipe.patterns[0], URL + recipe.patterns[0], Path("/nonexistent"), "0" * 64),)

    def check(track, candidates):
        calls.append((track.branch, [c.xsa for c in candidates]))
        return {c.xsa: S.Verdict(S.QUEUED) for c in candidates}, []

    sp = S.settle(sp, [T19, T20], fetch=fetch, check=check)
    assert calls == [("stable-4.19", [900, 901, 902])], "one check for the track; 4.20 has no candidate"
    assert {s for (n, t), s in statuses(sp).items() if t == "stable-4.19"} == {S.QUEUED}
