# SPDX-License-Identifier: GPL-3.0-or-later
# Copyright: iotguard.hardening contributors
from __future__ import annotations

import pytest
from ansible.errors import AnsibleLookupError
from ansible_collections.iotguard.hardening.plugins.lookup.iot_fingerprint import LookupModule


def test_entry_by_id_without_match_rules():
    lookup = LookupModule()
    (entry,) = lookup.run(["hikvision.camera"])
    assert (entry["vendor"], entry["class"], entry["lockout"]["threshold"]) == ("Hikvision", "camera", 7)
    assert {"username": "admin", "password": "12345"}.items() <= entry["default_credentials"][0].items()
    assert "match" not in entry


def test_unknown_id_names_it():
    lookup = LookupModule()
    with pytest.raises(AnsibleLookupError, match=r"'nope\.device' is not a fingerprint id"):
        lookup.run(["nope.device"])
