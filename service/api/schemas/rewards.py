"""Schemas of the rewards endpoints (``GET/PUT /api/admin/rewards``)."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ...rewards import (
    ID_PATTERN,
    MAX_NAME_LENGTH,
    MAX_REWARD_MINOR,
    MAX_REWARD_POINTS,
    MAX_REWARDS,
    duplicate_ids,
)
from ..fields import StrictInteger, Text
from .shared import StrictSchema

DUPLICATE_ID = "Another reward has this id."


class RewardSchema(StrictSchema):
    id = Text(
        required=True,
        validate=validate.Regexp(
            ID_PATTERN, error="A short slug: lower-case letters, digits, - and _ (1 to 32)."
        ),
        metadata={"pattern": ID_PATTERN, "description": "A short slug, unique in the shop"},
    )
    name = Text(required=True, validate=validate.Length(min=1, max=MAX_NAME_LENGTH))
    points = StrictInteger(
        required=True,
        validate=validate.Range(min=1, max=MAX_REWARD_POINTS),
        metadata={"description": "The points it takes"},
    )
    amount_minor = StrictInteger(
        required=True,
        validate=validate.Range(min=1, max=MAX_REWARD_MINOR),
        metadata={"description": "Money off the bill, in minor units of the programme's currency"},
    )


class RewardListSchema(StrictSchema):
    rewards = fields.List(
        fields.Nested(RewardSchema),
        required=True,
        validate=validate.Length(max=MAX_REWARDS),
        metadata={"description": f"At most {MAX_REWARDS}, in the order shown"},
    )

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def _unique_ids(self, _data, original, **_kwargs):
        # On the entries as sent: a repeated id is named even beside other bad entries.
        sent = original.get("rewards") if isinstance(original, dict) else None
        if not isinstance(sent, list):
            return
        repeated = duplicate_ids([e.get("id") if isinstance(e, dict) else None for e in sent])
        if repeated:
            raise ValidationError({"rewards": {i: {"id": [DUPLICATE_ID]} for i in repeated}})


class RewardsSchema(Schema):
    rewards = fields.List(fields.Nested(RewardSchema), required=True)
