# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import multiprocessing
import os
import shutil
import stat
import subprocess

import pytest
from ansible.parsing.vault import VaultSecret
from ansible_collections.iotguard.hardening.plugins.module_utils.credstore import (
    StoreError,
    candidates,
    get_store,
)
from ansible_collections.iotguard.hardening.plugins.module_utils.credstore.vault_file import (
    VaultCodec,
    dumps,
    loads,
)

VAULT_PW = b"unit-test-vault-pw"


def codec():
    return VaultCodec([("default", VaultSecret(VAULT_PW))])


def vault_store(tmp_path):
    return get_store("vault_file", inventory_dir=str(tmp_path), codec=codec())


def keepass_store(tmp_path):
    return get_store("keepass", path=str(tmp_path / "creds.kdbx"), master_password="kp-master-1")


STORES = [vault_store, keepass_store]


@pytest.mark.parametrize("make", STORES, ids=["vault_file", "keepass"])
def test_pending_promote_history(tmp_path, make):
    store = make(tmp_path)
    assert store.account("cam1", "admin") is None
    store.set_current("cam1", "admin", "12345", "default")
    store.set_pending("cam1", "admin", "N3w-Pass")
    acct = store.account("cam1", "admin")
    assert acct["current"] == "12345"
    assert acct["pending"] == "N3w-Pass"
    assert candidates(acct) == ["N3w-Pass", "12345"]
    store.promote("cam1", "admin")
    acct = store.account("cam1", "admin")
    assert acct["current"] == "N3w-Pass"
    assert acct["pending"] is None
    assert [h["password"] for h in acct["history"]] == ["12345"]
    assert acct["source"] == "rotated"
    with store.edit("cam1") as rec:  # history is trimmed to the newest five
        rec["accounts"]["admin"]["history"] = [{"password": "h%d" % i, "retired": None} for i in range(5)]
    store.set_current("cam1", "admin", "Newest", "rotated")
    hist = [h["password"] for h in store.account("cam1", "admin")["history"]]
    assert hist == ["N3w-Pass", "h0", "h1", "h2", "h3"]


@pytest.mark.parametrize("make", STORES, ids=["vault_file", "keepass"])
def test_promote_without_pending_names_host(tmp_path, make):
    store = make(tmp_path)
    with pytest.raises(StoreError, match="cam9"):
        store.promote("cam9", "admin")


def test_vault_file_is_encrypted_0600_and_loadable_as_host_vars(tmp_path):
    store = vault_store(tmp_path)
    secret = "S3cr{{ lookup('pipe','id') }}"
    store.set_current("nvr-1", "admin", secret, "rotated")
    path = tmp_path / "host_vars" / "nvr-1" / "iotguard_credentials.yml"
    raw = path.read_bytes()
    assert raw.startswith(b"$ANSIBLE_VAULT;1.1;AES256")
    assert b"S3cr" not in raw
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    # what ansible-inventory sees: the variable, unsafe (never templated)
    pwfile = tmp_path / "vault-pass"
    pwfile.write_bytes(VAULT_PW)
    inv = tmp_path / "hosts.ini"
    inv.write_text("nvr-1\n")
    out = subprocess.run(
        [
            shutil.which("ansible"),
            "nvr-1",
            "-i",
            str(inv),
            "--vault-password-file",
            str(pwfile),
            "-c",
            "local",
            "-m",
            "ansible.builtin.debug",
            "-a",
            "msg={{ iotguard_credentials.accounts.admin.current | b64encode }}",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    import base64

    assert base64.b64encode(secret.encode()).decode() in out.stdout, out.stdout + out.stderr


def test_refuses_plaintext_and_wrong_password(tmp_path):
    store = vault_store(tmp_path)
    store.set_current("h1", "admin", "x", "rotated")
    wrong = get_store(
        "vault_file", inventory_dir=str(tmp_path), codec=VaultCodec([("default", VaultSecret(b"nope"))])
    )
    with pytest.raises(StoreError, match="vault password"):
        wrong.load("h1")
    p = tmp_path / "host_vars" / "h2"
    p.mkdir(parents=True)
    (p / "iotguard_credentials.yml").write_text(dumps({"version": 1, "accounts": {}}))
    with pytest.raises(StoreError, match="not vault-encrypted"):
        store.load("h2")


@pytest.mark.parametrize("bad", ["../etc", "", "a/b", ".", "x" * 300, "host name"])
def test_host_names_cannot_escape(tmp_path, bad):
    with pytest.raises(StoreError, match="store key"):
        vault_store(tmp_path).load(bad)


def test_roundtrip_odd_characters():
    rec = {"version": 1, "accounts": {'ad"min': {"current": "a'b\"c\\d: #{}[]\u00e9\x01", "history": []}}}
    assert loads(dumps(rec)) == rec


def test_unwritable_store_reports_path(tmp_path):
    store = vault_store(tmp_path)
    store.set_current("h1", "admin", "x", "rotated")
    d = tmp_path / "host_vars" / "h1"
    os.chmod(d, 0o500)
    try:
        if os.access(d, os.W_OK):  # root ignores modes: make the file a directory instead
            os.chmod(d, 0o700)
            (d / (".iotguard_credentials.yml.%d.tmp" % os.getpid())).mkdir()
        with pytest.raises(StoreError, match=r"iotguard_credentials\.yml"):
            store.set_pending("h1", "admin", "y")
    finally:
        os.chmod(d, 0o700)
    assert store.account("h1", "admin")["pending"] is None


def _worker(args):
    inv, host, n = args
    store = get_store("vault_file", inventory_dir=inv, codec=codec())
    for i in range(n):
        store.set_current(host, "user%d" % (os.getpid() % 1000), "pw%d" % i, "rotated")
        store.set_pending(host, "shared", "p%d-%d" % (os.getpid(), i))
    return os.getpid() % 1000


def test_concurrent_writers_lose_nothing(tmp_path):
    with multiprocessing.get_context("fork").Pool(6) as pool:
        users = pool.map(_worker, [(str(tmp_path), "same-host", 10)] * 6)
    rec = vault_store(tmp_path).load("same-host")
    for u in users:
        assert rec["accounts"]["user%d" % u]["current"] == "pw9"
    assert rec["accounts"]["shared"]["pending"].endswith("-9")


def test_keepass_readable_by_keepassxc_cli(tmp_path):
    cli = shutil.which("keepassxc-cli")
    assert cli, "keepassxc-cli is missing: install the Debian package keepassxc (requirements/apt.txt)"
    store = keepass_store(tmp_path)
    store.set_current("printer-3", "admin", "Old-1", "default")
    store.set_pending("printer-3", "admin", "Rot-2")
    store.promote("printer-3", "admin")
    out = subprocess.run(
        [cli, "show", "-q", "-s", "-a", "Password", str(tmp_path / "creds.kdbx"), "iotguard/printer-3/admin"],
        input="kp-master-1\n",
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "Rot-2"
    assert stat.S_IMODE(os.stat(tmp_path / "creds.kdbx").st_mode) == 0o600
