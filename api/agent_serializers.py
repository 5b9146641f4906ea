"""Input and output shapes of the ERP agent's endpoints (api.agent_views).

Input is strict: a field of the wrong JSON type (a number as a string, 1 for true) or a
field the endpoint does not know is refused, not coerced or ignored, so an agent built
against another version of the protocol finds out at once."""

from __future__ import annotations

from django.conf import settings
from rest_framework import serializers

from erp_integrations.models import REJECTION_REASON_MAX_LENGTH, ExportItem

UNKNOWN_FIELD = "Unknown field."
NOT_A_STRING = "Must be a string."
NOT_AN_INTEGER = "Must be an integer."
NOT_A_BOOLEAN = "Must be true or false."
LIMIT_OUT_OF_RANGE = "Must be between 1 and {maximum}."
AGENT_NAME_MAX_LENGTH = 32


class StrictCharField(serializers.CharField):
    def to_internal_value(self, data):
        if not isinstance(data, str):
            raise serializers.ValidationError(NOT_A_STRING, code="invalid")
        return super().to_internal_value(data)


class StrictIntegerField(serializers.IntegerField):
    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            raise serializers.ValidationError(NOT_AN_INTEGER, code="invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    def to_internal_value(self, data):
        if not isinstance(data, bool):
            raise serializers.ValidationError(NOT_A_BOOLEAN, code="invalid")
        return data


class AgentInputSerializer(serializers.Serializer):
    """Every agent request names the agent: two agents sharing one token keep their
    leases apart by name."""

    agent = StrictCharField(
        required=False,
        default="",
        allow_blank=True,
        max_length=AGENT_NAME_MAX_LENGTH,
        help_text="The agent's name, e.g. its host name; the same in its claims and reports.",
    )

    def validate(self, attrs):
        if isinstance(self.initial_data, dict):
            unknown = sorted(set(self.initial_data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: [UNKNOWN_FIELD] for name in unknown})
        return attrs


class ClaimInputSerializer(AgentInputSerializer):
    limit = StrictIntegerField(
        required=False, default=1, help_text="How many items to claim at most (default 1)."
    )

    def validate_limit(self, limit: int) -> int:
        maximum = settings.ERP_AGENT_CLAIM_LIMIT
        if not 1 <= limit <= maximum:
            raise serializers.ValidationError(LIMIT_OUT_OF_RANGE.format(maximum=maximum))
        return limit


class SyncedInputSerializer(AgentInputSerializer):
    reference = StrictCharField(
        max_length=ExportItem._meta.get_field("erp_reference").max_length,
        help_text="The ERP's reference of the document it created.",
    )


class FailedInputSerializer(AgentInputSerializer):
    error = StrictCharField(
        max_length=REJECTION_REASON_MAX_LENGTH,
        help_text="What went wrong, in words the accounting approver reads.",
    )
    transient = StrictBooleanField(
        help_text="True: worth trying again later (the item is retried after a backoff). "
        "False: it fails at once (Failed to Export)."
    )


class ExportItemStateSerializer(serializers.ModelSerializer):
    """Where an item stands after a report."""

    state = serializers.ChoiceField(choices=ExportItem._meta.get_field("state").choices)

    class Meta:
        model = ExportItem
        fields = [
            "id",
            "invoice_id",
            "state",
            "attempts",
            "erp_reference",
            "last_error",
            "next_retry_at",
            "idempotency_key",
        ]


class ClaimedItemSerializer(serializers.Serializer):
    """One claimed item: its export document, as the push connectors send it, each
    attachment with a signed `download_url`."""

    id = serializers.IntegerField(source="item.pk")
    invoice_id = serializers.IntegerField(source="item.invoice_id")
    idempotency_key = serializers.UUIDField(source="item.idempotency_key")
    attempt = serializers.IntegerField(source="item.attempts")
    lease_expires_at = serializers.DateTimeField(source="item.claim_expires_at")
    document = serializers.DictField(
        help_text="The export document: header (with the idempotency key), lines, totals, "
        "attachments."
    )


class ClaimSerializer(serializers.Serializer):
    items = ClaimedItemSerializer(many=True)
