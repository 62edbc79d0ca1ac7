"""A Toast terminal for the tests: sends Toast's published request shapes
(tests/fixtures/toast/) with Toast's headers to POST /api/integrations/toast."""

import copy
import json
import uuid
from pathlib import Path

FIXTURES = Path(__file__).with_name("fixtures") / "toast"
URL = "/api/integrations/toast"


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text())


class Terminal:
    """One restaurant's terminal: ``send(type, body)`` with a new GUID unless given one."""

    def __init__(self, client, key: str, restaurant: str):
        self.client, self.key, self.restaurant = client, key, restaurant

    def send(self, kind: str, body: dict, guid: str | None = None, **headers):
        sent = {
            "Authorization": self.key,
            "Toast-Restaurant-External-ID": self.restaurant,
            "Toast-Transaction-Type": kind,
            "Toast-Transaction-GUID": guid or str(uuid.uuid4()),
            **headers,
        }
        return self.client.post(URL, json=body, headers=sent)

    # ---- Toast's shapes, filled in ----

    def search(self, phone: str):
        body = fixture("search_request")
        body["searchTransactionInformation"]["searchCriteria"]["phone"] = phone
        return self.send("LOYALTY_SEARCH", body)

    def signup(self, phone: str, guid: str | None = None):
        body = fixture("signup_request")
        body["signupTransactionInformation"]["phone"] = phone
        return self.send("LOYALTY_SIGNUP", body, guid)

    def inquire(self, identifier: str, redemptions: list | None = None):
        body = fixture("inquire_request")
        body["checkTransactionInformation"]["loyaltyIdentifier"] = identifier
        body["checkTransactionInformation"]["redemptions"] = redemptions or []
        return self.send("LOYALTY_INQUIRE", body)

    def redeem(self, identifier: str, redemptions: list, guid: str | None = None):
        body = fixture("redeem_request")
        body["checkTransactionInformation"]["loyaltyIdentifier"] = identifier
        body["checkTransactionInformation"]["redemptions"] = redemptions
        return self.send("LOYALTY_REDEEM", body, guid)

    def accrue(self, identifier, check: dict | None = None, guid: str | None = None):
        body = fixture("accrue_request")
        body["checkTransactionInformation"]["loyaltyIdentifier"] = identifier
        if check is not None:
            body["checkTransactionInformation"]["check"] = check
        return self.send("LOYALTY_ACCRUE", body, guid)

    def reverse(self, identifier, transaction_id, redemptions=None, guid=None):
        body = fixture("reverse_request")
        info = body["reverseTransactionInformation"]
        info.update(loyaltyIdentifier=identifier, transactionId=transaction_id)
        info["redemptions"] = redemptions
        return self.send("LOYALTY_REVERSE", body, guid)

    def transfer(self, old: str, new: str, guid: str | None = None):
        body = fixture("transfer_request")
        body["transferTransactionInformation"].update(
            fromLoyaltyIdentifier=old, toLoyaltyIdentifier=new
        )
        return self.send("LOYALTY_TRANSFER", body, guid)


def redemption(reward: str, discount: str | None = None, amount: float = 5.0) -> dict:
    """A Redemption as Toast sends it (appliedDiscountGuid: the discount on the check)."""
    return {
        "identifier": reward,
        "appliedDiscountGuid": discount or str(uuid.uuid4()),
        "amount": amount,
        "quantity": 1,
        "itemApplication": None,
        "multiItemDiscountGuid": None,
    }


def simple_check(guid: str, price: float) -> dict:
    check = copy.deepcopy(fixture("inquire_request")["checkTransactionInformation"]["check"])
    check["guid"] = guid
    check["selections"][0].update(price=price, tax=0, taxInclusion="NOT_INCLUDED")
    return check
