import pytest

from plant_sync import errors


@pytest.mark.parametrize(
    "cls,transient",
    [
        (errors.ConnectionFailed, True),
        (errors.RemoteTimeout, True),
        (errors.RateLimited, True),
        (errors.LockConflict, True),
        (errors.ValidationError, False),
        (errors.ConcurrentModification, False),
        (errors.ProtocolError, False),
    ],
)
def test_outcome_follows_error_class(cls, transient):
    exc = cls("boom", code="X/1", status=503, retry_after=2.0)
    outcome = errors.outcome_of(exc)
    assert outcome.transient is transient
    assert "code=X/1" in outcome.technical


def test_unknown_exception_is_permanent_not_an_endless_retry():
    outcome = errors.outcome_of(KeyError("x"))
    assert outcome.transient is False
    assert "KeyError" in outcome.technical
