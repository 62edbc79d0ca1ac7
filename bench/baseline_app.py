"""The bare Flask baseline: one JSON endpoint and nothing else, served by the bench under the
same gunicorn settings as the service (``gunicorn -c gunicorn.conf.py bench.baseline_app:app``).

What the service's read endpoints are compared with: the cost of Flask, gunicorn and HTTP alone.
"""

from flask import Flask

app = Flask(__name__)

# The shape and size of a phone lookup's answer, so serialisation costs the same.
CARD = {
    "customer_id": 123456,
    "phone": "+447900123456",
    "name": "Guest 123456",
    "points_balance": 1000,
    "total_points_earned": 1000,
    "total_points_redeemed": 0,
    "updated_at": "2026-01-01T12:00:00.000000+00:00",
}


@app.get("/card")
def card():
    return CARD


@app.get("/readyz")
def ready():
    return {"status": "ok"}
