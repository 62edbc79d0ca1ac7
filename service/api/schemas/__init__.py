"""The API's marshmallow schemas by audience: ``shared``, ``pos`` (tills), ``admin``."""
