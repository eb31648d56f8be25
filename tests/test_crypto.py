import pytest

from plant_sync.crypto import SecretBox, generate_key, redact
from plant_sync.errors import ConfigurationError


def test_roundtrip_and_ciphertext_hides_plaintext():
    box = SecretBox(generate_key())
    stored = box.encrypt("s3cr3t-password")
    assert "s3cr3t" not in stored
    assert box.decrypt(stored) == "s3cr3t-password"


def test_rotation_keeps_old_secrets_readable_then_old_key_can_go():
    old, new = generate_key(), generate_key()
    stored = SecretBox(old).encrypt("pw")
    both = SecretBox([new, old])
    assert both.decrypt(stored) == "pw"
    rotated = both.rotate(stored)
    assert SecretBox(new).decrypt(rotated) == "pw"
    with pytest.raises(ConfigurationError):
        SecretBox(old).decrypt(rotated)


def test_missing_key_is_a_clear_configuration_error(monkeypatch):
    monkeypatch.delenv("PLANT_SYNC_ENCRYPTION_KEYS", raising=False)
    with pytest.raises(ConfigurationError, match="No encryption key"):
        SecretBox()


def test_redact_masks_secret_keys_and_known_values():
    out = redact(
        {"Authorization": "Basic abc", "body": {"password": "x", "note": "token=hunter22"}},
        extra_secrets=["hunter22"],
    )
    assert out == {"Authorization": "***", "body": {"password": "***", "note": "token=***"}}
