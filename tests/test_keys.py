"""Keys: loading private and public keys in every form users have them, and the key ring."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed25519, rsa

from cfcookies.exceptions import (
    ConfigurationError,
    EncryptedKeyError,
    KeyLoadError,
    UnsupportedKeyError,
)
from cfcookies.keys import (
    KeyRing,
    PrivateKey,
    SigningKey,
    generate_private_key,
    is_key_pair_id,
    key_fingerprint,
    load_private_key,
    load_public_key,
    private_key_pem,
    public_key_pem,
    validate_key_pair_id,
)
from tests.support import ECDSA_KEY_ID, OLD_KEY_ID, PASSPHRASE, RSA_KEY_ID, KeyFiles

Enc = serialization.Encoding
Fmt = serialization.PrivateFormat


def _private_numbers_equal(a: PrivateKey, b: PrivateKey) -> bool:
    return key_fingerprint(a) == key_fingerprint(b)


def _encoded(key: PrivateKey, encoding: Enc, fmt: Fmt, password: bytes | None = None) -> bytes:
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password)
        if password
        else serialization.NoEncryption()
    )
    return key.private_bytes(encoding, fmt, encryption)


def _pem_body_fragments(pem: bytes) -> list[str]:
    """Distinctive 16-character pieces of a PEM's base64 body."""
    body = "".join(
        line for line in pem.decode().splitlines() if line and not line.startswith("-----")
    )
    return [body[i : i + 16] for i in range(0, len(body) - 16, 48)]


# --- sources and encodings -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "encoding", "fmt"),
    [
        pytest.param("rsa", Enc.PEM, Fmt.TraditionalOpenSSL, id="rsa-pkcs1-pem"),
        pytest.param("rsa", Enc.DER, Fmt.TraditionalOpenSSL, id="rsa-pkcs1-der"),
        pytest.param("rsa", Enc.PEM, Fmt.PKCS8, id="rsa-pkcs8-pem"),
        pytest.param("rsa", Enc.DER, Fmt.PKCS8, id="rsa-pkcs8-der"),
        pytest.param("ecdsa", Enc.PEM, Fmt.TraditionalOpenSSL, id="ec-sec1-pem"),
        pytest.param("ecdsa", Enc.DER, Fmt.TraditionalOpenSSL, id="ec-sec1-der"),
        pytest.param("ecdsa", Enc.PEM, Fmt.PKCS8, id="ec-pkcs8-pem"),
        pytest.param("ecdsa", Enc.DER, Fmt.PKCS8, id="ec-pkcs8-der"),
    ],
)
def test_load_private_key_formats(
    kind: str, encoding: Enc, fmt: Fmt, rsa_key: PrivateKey, ecdsa_key: PrivateKey
) -> None:
    """PKCS#1, PKCS#8 and SEC1 keys load from PEM and DER bytes."""
    key = rsa_key if kind == "rsa" else ecdsa_key
    loaded = load_private_key(_encoded(key, encoding, fmt))
    assert _private_numbers_equal(loaded, key)


def test_load_private_key_from_path_str_and_pathlike(
    key_files: KeyFiles, rsa_key: PrivateKey
) -> None:
    """A key loads from a Path, a path string, PEM str and PEM bytes alike."""
    pem = key_files.rsa_pem.read_bytes()
    for source in (key_files.rsa_pem, str(key_files.rsa_pem), pem, pem.decode()):
        assert _private_numbers_equal(load_private_key(source), rsa_key)


def test_load_private_key_from_der_file(tmp_path: Path, ecdsa_key: PrivateKey) -> None:
    """A DER file on disk loads."""
    path = tmp_path / "key.der"
    path.write_bytes(_encoded(ecdsa_key, Enc.DER, Fmt.PKCS8))
    assert _private_numbers_equal(load_private_key(path), ecdsa_key)


def test_missing_file_says_so(tmp_path: Path) -> None:
    """A path that does not exist raises KeyLoadError naming it."""
    with pytest.raises(KeyLoadError, match="no key file"):
        load_private_key(tmp_path / "nope.pem")


def test_unreadable_path_raises_key_load_error(tmp_path: Path) -> None:
    """A directory given as the key path raises KeyLoadError, not OSError."""
    with pytest.raises(KeyLoadError, match="cannot read"):
        load_private_key(tmp_path)


@pytest.mark.parametrize(
    "source",
    [
        pytest.param(b"garbage bytes", id="der-garbage"),
        pytest.param(
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", id="pem-garbage"
        ),
        pytest.param("line one\nline two", id="neither"),
        pytest.param(12, id="int"),
    ],
)
def test_garbage_is_a_key_load_error(source: object) -> None:
    """Data that is not a key raises KeyLoadError."""
    with pytest.raises(KeyLoadError):
        load_private_key(source)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("content", "says"),
    [
        pytest.param(
            b"garbage\n",
            "it is neither PEM (no -----BEGIN line) nor DER (PKCS#1, PKCS#8 or SEC1)",
            id="text",
        ),
        pytest.param(
            b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
            "its PEM block is not a PKCS#1, PKCS#8 or SEC1 private key",
            id="pem",
        ),
    ],
)
def test_garbage_key_file_names_the_file(tmp_path: Path, content: bytes, says: str) -> None:
    """A key file that holds no key names the file and says what it is not."""
    path = tmp_path / "bad.pem"
    path.write_bytes(content)
    with pytest.raises(KeyLoadError) as info:
        load_private_key(path)
    assert str(info.value) == f"could not read a private key from the file {str(path)!r}: {says}"


def test_garbage_public_key_file_names_the_file(tmp_path: Path) -> None:
    """A public key file that holds no key names the file and says it is neither PEM nor DER."""
    path = tmp_path / "bad.pub"
    path.write_bytes(b"garbage\n")
    with pytest.raises(KeyLoadError, match=r"from the file '.*bad\.pub': it is neither PEM"):
        load_public_key(path)


def test_public_key_given_as_private_key_says_so(rsa_key: PrivateKey) -> None:
    """Passing the public key PEM where the private key is needed says which is which."""
    with pytest.raises(KeyLoadError, match="public key"):
        load_private_key(public_key_pem(rsa_key))


# --- encryption ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fmt",
    [
        pytest.param(Fmt.PKCS8, id="pkcs8"),
        pytest.param(Fmt.TraditionalOpenSSL, id="traditional"),
    ],
)
def test_encrypted_key_loads_with_passphrase(fmt: Fmt, rsa_key: PrivateKey) -> None:
    """An encrypted PEM loads with its passphrase (str or bytes)."""
    pem = _encoded(rsa_key, Enc.PEM, fmt, PASSPHRASE.encode())
    assert _private_numbers_equal(load_private_key(pem, passphrase=PASSPHRASE), rsa_key)
    assert _private_numbers_equal(load_private_key(pem, passphrase=PASSPHRASE.encode()), rsa_key)


def test_encrypted_key_without_passphrase_says_so(key_files: KeyFiles) -> None:
    """An encrypted key without a passphrase raises EncryptedKeyError saying it is encrypted."""
    with pytest.raises(EncryptedKeyError, match="encrypted; pass its passphrase"):
        load_private_key(key_files.encrypted_pem)


def test_encrypted_der_with_wrong_passphrase(rsa_key: PrivateKey) -> None:
    """An encrypted DER key with a wrong passphrase raises EncryptedKeyError."""
    der = _encoded(rsa_key, Enc.DER, Fmt.PKCS8, b"right")
    with pytest.raises(EncryptedKeyError, match="wrong passphrase"):
        load_private_key(der, passphrase="wrong")


def test_wrong_passphrase(key_files: KeyFiles) -> None:
    """A wrong passphrase raises EncryptedKeyError saying it is wrong."""
    with pytest.raises(EncryptedKeyError, match="wrong passphrase"):
        load_private_key(key_files.encrypted_pem, passphrase="not it")


def test_passphrase_for_unencrypted_key(key_files: KeyFiles) -> None:
    """A passphrase given for a plain key raises KeyLoadError telling to drop it."""
    with pytest.raises(KeyLoadError, match="not encrypted"):
        load_private_key(key_files.rsa_pem, passphrase=PASSPHRASE)


def test_private_key_pem_round_trips_with_passphrase(ecdsa_key: PrivateKey) -> None:
    """private_key_pem writes PKCS#8, encrypted when a passphrase is given."""
    plain = private_key_pem(ecdsa_key)
    assert plain.startswith(b"-----BEGIN PRIVATE KEY-----")
    encrypted = private_key_pem(ecdsa_key, passphrase="pw")
    assert encrypted.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert _private_numbers_equal(load_private_key(encrypted, passphrase="pw"), ecdsa_key)


# --- PEM pasted into environment variables ---------------------------------------------------


@pytest.mark.parametrize(
    "mangle",
    [
        pytest.param(lambda pem: pem.replace("\n", "\\n"), id="literal-backslash-n"),
        pytest.param(lambda pem: pem.replace("\n", " "), id="collapsed-spaces"),
        pytest.param(lambda pem: pem.replace("\n", "\r\n"), id="crlf"),
        pytest.param(lambda pem: pem.replace("\n", "\\r\\n"), id="literal-crlf"),
        pytest.param(lambda pem: '"' + pem.replace("\n", "\\n") + '"', id="quoted"),
    ],
)
def test_pem_from_environment_variable(
    mangle: object, monkeypatch: pytest.MonkeyPatch, rsa_key: PrivateKey
) -> None:
    """PEM with literal ``\\n`` or collapsed whitespace (as env vars hold it) still loads."""
    pem = private_key_pem(rsa_key).decode()
    monkeypatch.setenv("CFCOOKIES_TEST_KEY", mangle(pem))  # type: ignore[operator]
    assert _private_numbers_equal(load_private_key(os.environ["CFCOOKIES_TEST_KEY"]), rsa_key)


def test_pem_body_without_begin_line_is_not_echoed(rsa_key: PrivateKey) -> None:
    """A PEM body pasted without its BEGIN/END lines is refused without echoing it as a path."""
    body = "".join(private_key_pem(rsa_key).decode().splitlines()[1:-1])
    with pytest.raises(KeyLoadError, match="without its -----BEGIN") as info:
        load_private_key(body)
    assert body[:40] not in str(info.value)


def test_encrypted_traditional_pem_with_collapsed_headers(rsa_key: PrivateKey) -> None:
    """An encrypted PKCS#1 PEM with its Proc-Type/DEK-Info headers collapsed still loads."""
    pem = _encoded(rsa_key, Enc.PEM, Fmt.TraditionalOpenSSL, b"pw").decode()
    collapsed = pem.replace("\n", " ")
    assert _private_numbers_equal(load_private_key(collapsed, passphrase="pw"), rsa_key)


# --- unsupported keys ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fixture", "named"),
    [
        pytest.param("rsa_1024_key", "RSA-1024", id="rsa-1024"),
        pytest.param("p384_key", "secp384r1", id="p384"),
        pytest.param("ed25519_key", "Ed25519", id="ed25519"),
        pytest.param("dsa_key", "DSA", id="dsa"),
    ],
)
def test_unsupported_keys_are_rejected_naming_what_was_found(
    fixture: str, named: str, request: pytest.FixtureRequest
) -> None:
    """RSA-1024, P-384, Ed25519 and DSA keys raise UnsupportedKeyError naming the key found."""
    key = request.getfixturevalue(fixture)
    pem = key.private_bytes(Enc.PEM, Fmt.PKCS8, serialization.NoEncryption())
    with pytest.raises(UnsupportedKeyError, match=re.escape(named)) as info:
        load_private_key(pem)
    assert "RSA-2048 and ECDSA P-256" in str(info.value)
    public = key.public_key().public_bytes(Enc.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    with pytest.raises(UnsupportedKeyError, match=re.escape(named)):
        load_public_key(public)


def test_signing_key_refuses_unsupported_loaded_key(rsa_1024_key: rsa.RSAPrivateKey) -> None:
    """SigningKey built from an already-loaded RSA-1024 key raises UnsupportedKeyError."""
    with pytest.raises(UnsupportedKeyError):
        SigningKey(RSA_KEY_ID, rsa_1024_key)


def test_signing_key_refuses_non_key() -> None:
    """SigningKey needs a loaded key object, not PEM text."""
    with pytest.raises(ConfigurationError, match="load_private_key"):
        SigningKey(RSA_KEY_ID, "-----BEGIN PRIVATE KEY-----")  # type: ignore[arg-type]


def test_load_public_key_refuses_loaded_unsupported_key(
    p384_key: ec.EllipticCurvePrivateKey,
) -> None:
    """A loaded P-384 public key object is refused too."""
    with pytest.raises(UnsupportedKeyError):
        load_public_key(p384_key.public_key())


def test_fixture_types_are_what_they_claim(
    ed25519_key: ed25519.Ed25519PrivateKey, dsa_key: dsa.DSAPrivateKey
) -> None:
    """The wrong-type fixtures really are Ed25519 and DSA keys."""
    assert isinstance(ed25519_key, ed25519.Ed25519PrivateKey)
    assert isinstance(dsa_key, dsa.DSAPrivateKey)


# --- public keys -----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [pytest.param("rsa", id="rsa"), pytest.param("ecdsa", id="ec")])
def test_public_key_derivation_and_pem(
    kind: str, rsa_key: PrivateKey, ecdsa_key: PrivateKey
) -> None:
    """The public key derives from the private key and round-trips through its PEM and DER."""
    key = rsa_key if kind == "rsa" else ecdsa_key
    pem = public_key_pem(key)
    assert pem.startswith("-----BEGIN PUBLIC KEY-----\n")
    assert pem == public_key_pem(key.public_key())
    derived = load_public_key(key)
    assert key_fingerprint(derived) == key_fingerprint(key)
    assert key_fingerprint(load_public_key(pem)) == key_fingerprint(key)
    assert key_fingerprint(load_public_key(pem.encode())) == key_fingerprint(key)
    der = key.public_key().public_bytes(Enc.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert key_fingerprint(load_public_key(der)) == key_fingerprint(key)
    assert load_public_key(derived) is derived


def test_load_public_key_from_private_pem_and_file(
    key_files: KeyFiles, rsa_key: PrivateKey
) -> None:
    """load_public_key accepts a public key file or a private key PEM."""
    assert key_fingerprint(load_public_key(key_files.public_pem)) == key_fingerprint(rsa_key)
    assert key_fingerprint(load_public_key(key_files.rsa_pem)) == key_fingerprint(rsa_key)


def test_load_public_key_garbage() -> None:
    """Garbage given as a public key raises KeyLoadError."""
    with pytest.raises(KeyLoadError, match="public key"):
        load_public_key(b"\x30\x03\x02\x01\x01")


def test_fingerprint_is_sha256_hex(rsa_key: PrivateKey, old_rsa_key: PrivateKey) -> None:
    """The fingerprint is 64 hex characters and differs between keys."""
    assert re.fullmatch(r"[0-9a-f]{64}", key_fingerprint(rsa_key))
    assert key_fingerprint(rsa_key) != key_fingerprint(old_rsa_key)


@pytest.mark.parametrize(
    ("kind", "cls", "size"),
    [
        pytest.param("rsa", rsa.RSAPrivateKey, 2048, id="rsa"),
        pytest.param("ecdsa", ec.EllipticCurvePrivateKey, 256, id="ecdsa"),
    ],
)
def test_generate_private_key(kind: str, cls: type, size: int) -> None:
    """generate_private_key makes RSA-2048 or ECDSA P-256 keys."""
    key = generate_private_key(kind)  # type: ignore[arg-type]
    assert isinstance(key, cls)
    assert key.key_size == size


def test_generate_private_key_rejects_other_kinds() -> None:
    """Only 'rsa' and 'ecdsa' can be generated."""
    with pytest.raises(ConfigurationError):
        generate_private_key("dsa")  # type: ignore[arg-type]


# --- key pair ids ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("", id="empty"),
        pytest.param("K2JC JMDE", id="space"),
        pytest.param("K2JC-JMDE", id="dash"),
        pytest.param("x" * 129, id="too-long"),
        pytest.param(None, id="none"),
    ],
)
def test_key_pair_id_validation(value: object) -> None:
    """Key pair IDs must be 1-128 ASCII uppercase letters and digits."""
    with pytest.raises(ConfigurationError, match="CloudFront public key ID"):
        validate_key_pair_id(value)


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("k2jcjmqedz6jkq", id="lowercase"),
        pytest.param("K2jcJMDEHXQW5F", id="mixed-case"),
    ],
)
def test_key_pair_id_with_lowercase_is_refused(value: str) -> None:
    """CloudFront's IDs are uppercase letters and digits: a lowercase one is refused as other
    malformed IDs are, with the uppercase spelling suggested."""
    assert not is_key_pair_id(value)
    with pytest.raises(ConfigurationError, match="uppercase letters and digits") as info:
        validate_key_pair_id(value)
    assert f"{value.upper()!r}?" in str(info.value)


def test_key_pair_id_accepted() -> None:
    """A CloudFront-style key pair ID is returned as is."""
    assert validate_key_pair_id("K2JCJMDEHXQW5F") == "K2JCJMDEHXQW5F"


# --- key ring --------------------------------------------------------------------------------


def test_key_ring_active_and_verification_keys(
    rsa_key: PrivateKey, old_rsa_key: PrivateKey, ecdsa_key: PrivateKey
) -> None:
    """A ring signs with its active key and trusts the older keys' public halves too."""
    ring = KeyRing(
        SigningKey(RSA_KEY_ID, rsa_key),
        verification_keys={
            OLD_KEY_ID: old_rsa_key,
            ECDSA_KEY_ID: public_key_pem(ecdsa_key),
        },
    )
    assert ring.active().key_pair_id == RSA_KEY_ID
    keys = ring.public_keys
    assert set(keys) == {RSA_KEY_ID, OLD_KEY_ID, ECDSA_KEY_ID}
    assert key_fingerprint(keys[OLD_KEY_ID]) == key_fingerprint(old_rsa_key)
    assert key_fingerprint(keys[ECDSA_KEY_ID]) == key_fingerprint(ecdsa_key)
    assert isinstance(keys[RSA_KEY_ID], rsa.RSAPublicKey)


def test_key_ring_from_key_loads_sources(key_files: KeyFiles, rsa_key: PrivateKey) -> None:
    """KeyRing.from_key loads an encrypted file with its passphrase."""
    ring = KeyRing.from_key(RSA_KEY_ID, key_files.encrypted_pem, passphrase=PASSPHRASE)
    assert ring.active().fingerprint == key_fingerprint(rsa_key)
    assert KeyRing.from_key(RSA_KEY_ID, rsa_key).active().private_key is rsa_key


def test_key_ring_validates_ids_and_types(rsa_key: PrivateKey) -> None:
    """A ring refuses a non-SigningKey active key and bad verification key IDs."""
    with pytest.raises(ConfigurationError):
        KeyRing(rsa_key)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError):
        KeyRing(SigningKey(RSA_KEY_ID, rsa_key), verification_keys={"bad id": rsa_key})


@pytest.mark.parametrize(
    "pem_source",
    [
        pytest.param("plain", id="plain"),
        pytest.param("encrypted", id="encrypted"),
    ],
)
def test_no_key_material_in_repr_or_errors(
    pem_source: str, rsa_key: PrivateKey, old_rsa_key: PrivateKey, tmp_path: Path
) -> None:
    """No fragment of a PEM body appears in a repr or in any loading error message."""
    pem = (
        private_key_pem(rsa_key)
        if pem_source == "plain"
        else private_key_pem(rsa_key, passphrase=PASSPHRASE)
    )
    fragments = _pem_body_fragments(pem)
    assert len(fragments) > 10
    texts: list[str] = []
    signing_key = SigningKey(RSA_KEY_ID, rsa_key)
    ring = KeyRing(signing_key, verification_keys={OLD_KEY_ID: old_rsa_key})
    texts += [repr(signing_key), str(signing_key), repr(ring)]
    attempts: list[tuple[object, object]] = [
        (pem[:-40], None),  # truncated
        (pem.replace(b"A", b"B", 3), PASSPHRASE),  # corrupted
        (pem, "wrong passphrase"),
        (pem.decode().replace("\n", "\\n")[:-50], None),
        ("".join(pem.decode().splitlines()[1:-1]), None),  # body without BEGIN/END
        ("".join(pem.decode().splitlines()[1:-1])[:200], None),
    ]
    if pem_source == "encrypted":
        attempts.append((pem, None))
    else:
        attempts.append((pem, PASSPHRASE))
    for source, passphrase in attempts:
        with pytest.raises(KeyLoadError) as info:
            load_private_key(source, passphrase=passphrase)  # type: ignore[arg-type]
        texts += [str(info.value), repr(info.value)]
    with pytest.raises(KeyLoadError) as info:
        load_public_key(pem[:200] + b"-----END PUBLIC KEY-----")
    texts += [str(info.value)]
    for text in texts:
        for fragment in fragments:
            assert fragment not in text
        assert PASSPHRASE not in text
    assert RSA_KEY_ID in repr(signing_key)
