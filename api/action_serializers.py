"""Input and output shapes of the action endpoints (send, retrieve, accept, reject, retry,
unlink). Input is strict: JSON of the documented shape only, so a typo or a value of the
wrong type is refused with its code instead of being read as "nothing asked". What an
action may do is the services' to decide; only the shape is checked here."""

from __future__ import annotations

from collections import Counter

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.converters import LARGEST_ID, SMALLEST_ID
from erp_integrations.services import UNLINK_NOT_CONFIRMED, Code

# At most this many ids in one bulk action: a batch the size of a page's selection, and
# a bound on the rows one request locks.
MAX_IDS = 500

TOO_MANY_IDS = f"Send at most {MAX_IDS} ids at a time."
NOT_A_LIST = "`ids` must be a list of ids."
NOT_AN_ID = "Each id must be a whole number (not text, a decimal or true/false)."
ID_OUT_OF_RANGE = f"Each id must be between {SMALLEST_ID} and {LARGEST_ID}."
DUPLICATE_IDS = "Each id may appear once; repeated: {ids}."
UNKNOWN_FIELDS = "Unknown field(s): {fields}. This endpoint takes {known}."
NOT_TRUE = "Must be true."
NOT_TEXT = "Must be text."

# Codes of bad input, beside those of the services' refusals (erp_integrations Code).
INVALID_ID = "invalid_id"
INPUT_CODES = {
    "unknown_field": "A field the endpoint does not take.",
    "too_many_ids": TOO_MANY_IDS,
    "duplicate_ids": "The same id twice in one request.",
    INVALID_ID: "`ids` is not a list, or an id is not a whole number.",
    "id_out_of_range": ID_OUT_OF_RANGE,
    Code.NOT_CONFIRMED: UNLINK_NOT_CONFIRMED,
    "invalid": "Any other input of the wrong shape or type (`errors` says which field).",
}


@extend_schema_field(
    {
        "type": "array",
        "items": {"type": "integer", "format": "int64", "minimum": SMALLEST_ID},
        "maxItems": MAX_IDS,
        "uniqueItems": True,
    }
)
class IdsField(serializers.Field):
    """A JSON list of distinct ids (whole numbers in the database's id range), at most
    MAX_IDS. An empty list is left to the service, which says what the pages say."""

    def to_internal_value(self, data) -> list[int]:
        if not isinstance(data, list):
            raise serializers.ValidationError(NOT_A_LIST, code=INVALID_ID)
        # Counted before anything else is read, so a huge list costs no more.
        if len(data) > MAX_IDS:
            raise serializers.ValidationError(TOO_MANY_IDS, code="too_many_ids")
        if any(not isinstance(value, int) or isinstance(value, bool) for value in data):
            raise serializers.ValidationError(NOT_AN_ID, code=INVALID_ID)
        if any(not SMALLEST_ID <= value <= LARGEST_ID for value in data):
            raise serializers.ValidationError(ID_OUT_OF_RANGE, code="id_out_of_range")
        repeated = sorted(value for value, count in Counter(data).items() if count > 1)
        if repeated:
            raise serializers.ValidationError(
                DUPLICATE_IDS.format(ids=", ".join(map(str, repeated))), code="duplicate_ids"
            )
        return data

    def to_representation(self, value):
        return value


class StrictSerializer(serializers.Serializer):
    """Refuses fields it does not declare: `{"id": 5}` for `{"ids": [5]}` must not act on
    nothing, nor `{"ids": [5], "confirmed": true}` unlink unconfirmed."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    {
                        name: [
                            UNKNOWN_FIELDS.format(
                                fields=", ".join(unknown), known=", ".join(self.fields)
                            )
                        ]
                        for name in unknown
                    },
                    code="unknown_field",
                )
        return super().to_internal_value(data)


class StrictTextField(serializers.CharField):
    """Text as JSON text only (DRF's CharField would take 12 or true as "12", "True")."""

    def to_internal_value(self, data) -> str:
        if not isinstance(data, str):
            raise serializers.ValidationError(NOT_TEXT, code="invalid")
        return super().to_internal_value(data)


class NoInputSerializer(StrictSerializer):
    """A one-invoice action takes no input (an empty body, or `{}`)."""


class IdsSerializer(StrictSerializer):
    ids = IdsField(help_text=f"The ids to act on, each once; at most {MAX_IDS}.")


class ReasonSerializer(StrictSerializer):
    # Blank or missing is the service's to refuse (reason_required), as on the page.
    reason = StrictTextField(required=False, allow_blank=True, default="", trim_whitespace=False)


class IdsReasonSerializer(IdsSerializer, ReasonSerializer):
    pass


@extend_schema_field(OpenApiTypes.BOOL)
class ConfirmedField(serializers.Field):
    """`true` and nothing else: the caller confirms the invoices were deleted in the ERP
    first, as the page's checkbox does."""

    def validate_empty_values(self, data):
        if data is serializers.empty or data is None:
            raise serializers.ValidationError(UNLINK_NOT_CONFIRMED, code=Code.NOT_CONFIRMED)
        return super().validate_empty_values(data)

    def to_internal_value(self, data) -> bool:
        if data is not True:
            raise serializers.ValidationError(UNLINK_NOT_CONFIRMED, code=Code.NOT_CONFIRMED)
        return True

    def to_representation(self, value):
        return value


class UnlinkSerializer(ReasonSerializer):
    confirm = ConfirmedField(help_text="Must be true: the invoices were deleted in the ERP.")


class IdsUnlinkSerializer(IdsSerializer, UnlinkSerializer):
    pass


def _codes_of(owner: type) -> list[str]:
    return sorted(
        value for name, value in vars(owner).items() if name.isupper() and isinstance(value, str)
    )


class InvoiceResultSerializer(serializers.Serializer):
    """What the action did to one invoice, as the Invoices tab reports it."""

    id = serializers.IntegerField(
        help_text="The id asked for (an invoice id; an export item id for the approver's actions)."
    )
    label = serializers.CharField(help_text='The invoice, e.g. "INV-4".')
    ok = serializers.BooleanField(
        help_text="False when this invoice was refused and left as it was."
    )
    outcome = serializers.ChoiceField(choices=["done", "unchanged", "refused"])
    code = serializers.ChoiceField(choices=_codes_of(Code))
    message = serializers.CharField()


class BulkResultSerializer(serializers.Serializer):
    batch_id = serializers.UUIDField(
        help_text="Shared by the change history rows this action wrote."
    )
    results = InvoiceResultSerializer(many=True, help_text="One per id, in the order asked.")
