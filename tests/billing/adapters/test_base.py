"""What the base adapter answers for an operation a processor does not offer."""

import pytest

from billing.processors.adapters.base import MESSAGE_NO_REFUNDS, Adapter, ProcessorError


class WithoutRefunds(Adapter):
    processor = "other"

    def subscription_get(self, *, subscription_id):
        raise NotImplementedError

    def subscription_cancel(self, *, subscription_id, at_period_end, reason="", idempotency_key):
        raise NotImplementedError

    def subscription_finalize_period_end(self, *, subscription_id, idempotency_key):
        raise NotImplementedError

    def subscription_cancel_undo(self, *, subscription_id, idempotency_key):
        raise NotImplementedError


def test_a_processor_without_refunds_says_so_plainly():
    with pytest.raises(ProcessorError) as error:
        WithoutRefunds().refund_create(charge_id="ch_1", idempotency_key="k")
    assert error.value.code == "unsupported" and not error.value.retryable
    assert error.value.message == str(MESSAGE_NO_REFUNDS)
    assert "refund the payment in the processor's own dashboard" in error.value.message
