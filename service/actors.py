"""Who made a points change, and where: the actor written on every ledger row.

The actor comes only from the credential (a till's POS key, an admin's session) or from the
service itself (the expiry job, an import): never from a request's body.
"""

from dataclasses import dataclass

POS_KEY = "pos_key"
ADMIN = "admin"
SYSTEM = "system"
TOAST = "toast"  # a Toast restaurant's terminals (label: the restaurant; location: its code)
ACTOR_KINDS = (POS_KEY, ADMIN, SYSTEM, TOAST)


@dataclass(frozen=True)
class Actor:
    """``kind`` (pos_key, admin, system, toast), the key's or admin's ``id``, a ``label``
    people read (the till's label, the admin's e-mail, the job's name, the Toast restaurant)
    and the ``location`` it acted at (its id and code; None for admins and the system)."""

    kind: str
    id: int | None
    label: str
    location_id: int | None = None
    location_code: str | None = None

    def as_dict(self) -> dict:
        """The actor as the API and webhooks show it: never a key's secret or hash."""
        return {"kind": self.kind, "label": self.label, "location": self.location_code}


def system(label: str) -> Actor:
    return Actor(SYSTEM, None, label)


UNATTRIBUTED = system("service")  # direct calls: the demo seed, tests, management commands
EXPIRY_JOB = system("expiry job")


def actor_of_row(row: dict) -> dict | None:
    """A ledger row's actor as the API shows it (None for rows written before actors)."""
    if not row.get("actor_kind"):
        return None
    return {
        "kind": row["actor_kind"],
        "label": row["actor_label"],
        "location": row.get("location_code"),
    }
