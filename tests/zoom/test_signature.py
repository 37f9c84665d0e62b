import json

import pytest

from zoombridge.zoom.signature import is_valid, sign, url_validation_answer


@pytest.mark.parametrize(("secret", "timestamp", "body", "expected"), [
    # seguri/x-zm-signature ZoomWebhookValidatorTest (docs/zoom.md §7)
    ("secret", "1697204592920", b'{"foo":"bar"}', "v0=f46042d159828f787589618793a3f535b54de02da06ea660545e46c8960b70bf"),
    ("secret", "1697204592920", b'{"foo": "bar"}', "v0=4fbb75111d585a4c58bc193aba49b007ddd7170f9191b0286d9413c1a07a44e8"),
    ("secret", "", b"", "v0=48313323faaa3e2551387fedc6a9dbf72f93a6293033e7339e57c844dc1b107d"),
])
def test_signature_matches_published_vectors(secret, timestamp, body, expected):
    assert sign(secret, timestamp, body) == expected


def test_a_space_after_the_colon_does_not_verify_against_the_compact_signature():
    good = "v0=f46042d159828f787589618793a3f535b54de02da06ea660545e46c8960b70bf"
    assert is_valid("secret", "1697204592920", b'{"foo":"bar"}', good)
    assert not is_valid("secret", "1697204592920", b'{"foo": "bar"}', good)


def test_url_validation_answer_matches_published_vector():
    # elastic/beats crc_test.go (docs/zoom.md §7)
    assert url_validation_answer("secretValueTest", "qgg8vlvZRS6UYooatFL8Aw") == {
        "plainToken": "qgg8vlvZRS6UYooatFL8Aw",
        "encryptedToken": "70c1f2e2e6ca2d39297490d1f9142c7d701415ea8e6151f6562a08fa657a40ff",
    }


def test_non_ascii_names_verify_on_raw_bytes_but_not_after_reserialising():
    raw = '{"event":"meeting.participant_joined","payload":{"object":{"participant":{"user_name":"José Zoë 🌞"}}}}'.encode()
    signature = sign("s3cret", "1739923528", raw)
    assert is_valid("s3cret", "1739923528", raw, signature)
    reserialised = json.dumps(json.loads(raw)).encode()
    assert not is_valid("s3cret", "1739923528", reserialised, signature)


@pytest.mark.parametrize(("timestamp", "signature"), [(None, "v0=abc"), ("1", None), ("", ""), ("1", "v0=")])
def test_missing_parts_never_verify(timestamp, signature):
    assert not is_valid("secret", timestamp, b"{}", signature)
