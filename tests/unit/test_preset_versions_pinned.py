"""A bundled preset version never changes its rules (DOMAIN §2: a later policy edit never rewrites an existing case).

Presets are not copied into a database: a case opened under ``service`` v3 reads the bundled ``service`` v3 each
time it runs. Policy audit: three presets changed their rules under a version already bundled, so cases opened
under it closed by other rules after an upgrade of the library. Each version's parsed content is pinned here;
comments may change, the rules may not. To change a preset, copy the current file to ``presets/v<N>/``, raise
``version`` in the current one and add its digest below.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from importlib import resources

from adapters.policy_files import PRESETS

PINNED = {
    ("manufacturing", 1): "ebfd345e5263e629",
    ("manufacturing", 2): "d61dab87308e3e0c",
    ("manufacturing", 3): "c2fd30ef65c10472",
    ("manufacturing", 4): "377f3b487a157e6a",
    ("manufacturing", 5): "06fcbd67ba65bd91",
    ("manufacturing", 6): "06451e05db4ccd65",
    ("furniture", 1): "361b90168dc0749d",
    ("furniture", 2): "e3a23259a8ec45d9",
    ("furniture", 3): "8e6243b542eeb3f9",
    ("furniture", 4): "30c548d051f3bd22",
    ("furniture", 5): "940cbbc13b8e335e",
    ("furniture", 6): "c30f58e095a1e18b",
    ("auto-dealer", 1): "82a6f3b70bd982f3",
    ("auto-dealer", 2): "a225120192aee163",
    ("auto-dealer", 3): "c873c3751c2d8c1f",
    ("auto-dealer", 4): "35dd2dcf2fb78993",
    ("auto-dealer", 5): "f32697a8baa7a28c",
    ("service", 1): "6046a017d87b9ad5",
    ("service", 2): "5f060d518c354490",
    ("service", 3): "b482b637bf913a91",
    ("service", 4): "c7c434b9bc979c8d",
    ("service", 5): "74e3f7f4d402e198",
    ("service", 6): "5798236a7a83ce78",
    ("bank-branch", 1): "32e77498650899ca",
    ("bank-branch", 2): "655facdc2558280a",
    ("bank-branch", 3): "048764a94725a83e",
    ("bank-branch", 4): "a4962aaf97b30e3c",
}


def content_digest(text: str) -> str:
    """The parsed TOML (no comments, keys sorted), hashed."""
    data = json.dumps(tomllib.loads(text), sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()[:16]


def bundled_digests() -> dict[tuple[str, int], str]:
    folder = resources.files("adapters").joinpath("presets")
    found = {}
    for entry in [folder, *(e for e in folder.iterdir() if e.is_dir() and e.name.startswith("v"))]:
        for name in PRESETS:
            file = entry.joinpath(f"{name}.toml")
            if file.is_file():
                text = file.read_text(encoding="utf-8")
                found[(name, int(tomllib.loads(text)["version"]))] = content_digest(text)
    return found


def test_every_bundled_preset_version_keeps_its_rules() -> None:
    found = bundled_digests()
    changed = sorted(key for key in found.keys() & PINNED.keys() if found[key] != PINNED[key])
    assert not changed, f"these preset versions changed their rules; give the change a new version: {changed}"
    assert found.keys() == PINNED.keys(), "a preset version was added (pin its digest) or removed (never remove one)"


def test_the_digest_ignores_comments_and_key_order_but_not_a_value() -> None:
    base = content_digest('version = 1\nname = "a"\n')
    assert content_digest('# note\nname = "a"  # same\nversion = 1\n') == base
    assert content_digest('version = 1\nname = "b"\n') != base
