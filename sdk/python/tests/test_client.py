"""The rest of the API through the client: catalog, customers, sessions, subscriptions,
grants, purchases, ledger paging, reports, and errors as exceptions."""

import unittest

from support import API_KEY, URL, client, customer_with_credits, new_tool, uid

from purse import (
    ForbiddenError,
    Money,
    InvalidRequestError,
    NotFoundError,
    Purse,
    PurseError,
    UnauthorizedError,
)

USD_9: Money = {"amount": 900, "currency": "usd"}


class CatalogTests(unittest.TestCase):
    def setUp(self) -> None:
        self.purse = client()

    def test_tools_are_put_read_listed_and_priced(self) -> None:
        tool_id = uid("tool")
        created = self.purse.put_tool(tool_id, name="Upscale", credits=3, unit="image", description="4x", hold_seconds=120)
        self.assertEqual(
            (created["id"], created["credits"], created["unit"], created["holdSeconds"], created["active"]),
            (tool_id, 3, "image", 120, True),
        )
        self.purse.put_tool(tool_id, name="Upscale", credits=4, unit="image")
        self.assertEqual(self.purse.get_tool(tool_id)["credits"], 4)
        self.assertIn(tool_id, [t["id"] for t in self.purse.list_tools()])
        self.assertEqual([p["credits"] for p in self.purse.tool_prices(tool_id)][-1:], [4])
        self.assertGreaterEqual(len(self.purse.tool_prices(tool_id)), 2)

    def test_plans_and_packs_show_in_the_public_pricing(self) -> None:
        plan_id, pack_id, tool_id = uid("plan"), uid("pack"), new_tool(self.purse, 7)
        plan = self.purse.put_plan(plan_id, name="Pro", credits_per_period=500, price=USD_9, period="month", rollover_max=100)
        self.assertEqual((plan["creditsPerPeriod"], plan["rollover"], plan["price"]), (500, {"max": 100}, USD_9))
        pack = self.purse.put_pack(pack_id, name="Boost", credits=50, price={"amount": 300, "currency": "usd"}, expires_in_days=30)
        self.assertEqual((pack["credits"], pack["expiresInDays"]), (50, 30))
        self.assertIn(plan_id, [p["id"] for p in self.purse.list_plans()])
        self.assertIn(pack_id, [p["id"] for p in self.purse.list_packs()])

        public = Purse(URL, "no-key-needed").pricing()
        self.assertIn(plan_id, [p["id"] for p in public["plans"]])
        self.assertIn(pack_id, [p["id"] for p in public["packs"]])
        self.assertIn({"id": tool_id, "credits": 7}, [{"id": t["id"], "credits": t["credits"]} for t in public["tools"]])


class CustomerTests(unittest.TestCase):
    def setUp(self) -> None:
        self.purse = client()

    def test_customers_are_put_read_and_found(self) -> None:
        customer_id = uid("cus")
        created = self.purse.put_customer(customer_id, name="Ada", email="ada@example.com", metadata={"tier": "gold"})
        self.assertEqual((created["id"], created["name"], created["email"], created["metadata"]), (customer_id, "Ada", "ada@example.com", {"tier": "gold"}))
        self.assertEqual(self.purse.get_customer(customer_id)["email"], "ada@example.com")
        self.assertEqual([c["id"] for c in self.purse.search_customers(customer_id)], [customer_id])

    def test_a_session_reads_its_own_customer_only(self) -> None:
        customer = customer_with_credits(self.purse, 30)
        other = customer_with_credits(self.purse, 0)
        session = self.purse.create_session(customer, ttl_seconds=600)
        self.assertTrue(session["token"].startswith("cs_"))
        self.assertEqual(session["customerId"], customer)

        as_customer = Purse(URL, session["token"])
        self.assertEqual(as_customer.balance(customer)["available"], 30)
        with self.assertRaises(ForbiddenError) as caught:
            as_customer.balance(other)
        self.assertEqual((caught.exception.code, caught.exception.status), ("forbidden", 403))
        with self.assertRaises(ForbiddenError):
            as_customer.put_tool(uid("tool"), name="Nope", credits=1)

    def test_subscribing_gives_plan_credits_and_cancelling_keeps_them_to_the_period_end(self) -> None:
        plan_id = uid("plan")
        self.purse.put_plan(plan_id, name="Monthly", credits_per_period=200, price=USD_9)
        customer = customer_with_credits(self.purse, 0)
        change = self.purse.subscribe(customer, plan_id, reason="signed up")
        self.assertEqual((change["planId"], change["status"], change["changeReason"]), (plan_id, "active", "signed up"))
        self.assertTrue(change["effect"])
        balance = self.purse.balance(customer)
        self.assertEqual(balance["available"], 200)
        self.assertEqual(balance["subscription"]["planId"] if balance["subscription"] else None, plan_id)

        canceled = self.purse.cancel_subscription(customer, reason="too expensive")
        self.assertEqual((canceled["cancelAtPeriodEnd"], canceled["changeReason"]), (True, "too expensive"))
        self.assertTrue(self.purse.get_subscription(customer)["cancelAtPeriodEnd"])
        self.assertEqual(self.purse.balance(customer)["available"], 200)


class CreditTests(unittest.TestCase):
    def setUp(self) -> None:
        self.purse = client()

    def test_a_grant_with_the_same_key_is_made_once_and_voiding_takes_back_what_is_left(self) -> None:
        customer = customer_with_credits(self.purse, 0)
        key = uid("key")
        first = self.purse.grant(customer, amount=60, source="bonus", reason="welcome", idempotency_key=key, expires_at="2099-01-01T00:00:00Z")
        again = self.purse.grant(customer, amount=60, source="bonus", reason="welcome", idempotency_key=key, expires_at="2099-01-01T00:00:00Z")
        self.assertEqual(again, first)
        self.assertEqual((first["amount"], first["source"], first["reason"]), (60, "bonus", "welcome"))
        self.assertEqual(self.purse.balance(customer)["available"], 60)

        voided = self.purse.void_grant(first["id"], reason="granted by mistake")
        self.assertIsNotNone(voided["voidedAt"])
        self.assertEqual(self.purse.balance(customer)["available"], 0)
        self.assertEqual([g["id"] for g in self.purse.list_grants(customer)], [first["id"]])

    def test_a_pack_bought_in_the_sandbox_adds_credits_and_its_refund_takes_them_back(self) -> None:
        pack_id = uid("pack")
        self.purse.put_pack(pack_id, name="Starter", credits=100, price=USD_9)
        customer = customer_with_credits(self.purse, 0)
        purchase = self.purse.buy_pack(customer, pack_id)
        self.assertEqual((purchase["status"], purchase["provider"], purchase["credits"]), ("paid", "sandbox", 100))
        self.assertEqual(self.purse.balance(customer)["breakdown"], [{"source": "addon", "available": 100, "expiresAt": None}])
        self.assertEqual(self.purse.get_purchase(purchase["id"])["grantId"], purchase["grantId"])
        self.assertEqual([p["id"] for p in self.purse.list_purchases(customer)["data"]], [purchase["id"]])
        self.assertEqual([p["id"] for p in self.purse.iter_purchases(customer, page_size=1)], [purchase["id"]])

        refunded = self.purse.refund_purchase(purchase["id"], reason="changed their mind")
        self.assertEqual(refunded["status"], "refunded")
        self.assertEqual(self.purse.balance(customer)["available"], 0)

    def test_the_ledger_pages_by_cursor_and_iter_ledger_walks_every_page(self) -> None:
        customer = customer_with_credits(self.purse, 0)
        for amount in (1, 2, 3, 4, 5):
            self.purse.grant(customer, amount=amount, source="adjustment", reason="entry %d" % amount)
        pages, cursor = [], None
        while True:
            page = self.purse.ledger(customer, cursor=cursor, limit=2)
            pages.append(page["data"])
            cursor = page["nextCursor"]
            if cursor is None:
                break
        self.assertEqual([len(p) for p in pages], [2, 2, 1])
        entries = [e for p in pages for e in p]
        self.assertEqual([e["amount"] for e in entries], [5, 4, 3, 2, 1])  # newest first
        self.assertEqual([e["id"] for e in self.purse.iter_ledger(customer, page_size=2)], [e["id"] for e in entries])

    def test_reports_count_what_was_issued_and_spent(self) -> None:
        customer = customer_with_credits(self.purse, 50)
        tool = new_tool(self.purse, 5)
        self.purse.complete(self.purse.reserve(customer, tool)["id"])
        self.purse.fail(self.purse.reserve(customer, tool)["id"])
        credits = self.purse.credits_report()
        self.assertGreaterEqual(credits["totals"]["issued"], 50)
        self.assertGreaterEqual(credits["totals"]["spent"], 5)
        line = [t for t in self.purse.tools_report()["tools"] if t["toolId"] == tool]
        self.assertEqual([(t["completed"], t["failed"], t["creditsCharged"]) for t in line], [(1, 1, 5)])
        outstanding = self.purse.outstanding_report()
        self.assertEqual(outstanding["total"], sum(s["available"] for s in outstanding["bySource"]) + outstanding["reserved"])

    def test_revenue_report_balances_the_books(self) -> None:
        report = self.purse.revenue_report("usd")
        self.assertEqual(report["currency"], "usd")
        self.assertEqual(len(report["days"]), 30)
        t = report["totals"]
        self.assertEqual(t["deferred"], report["openingDeferred"] + t["paidIn"] - t["revenue"] - t["refunds"] - t["breakage"])
        with self.assertRaises(InvalidRequestError):
            self.purse.revenue_report("dollars")

    def test_health_answers(self) -> None:
        self.assertEqual(self.purse.health(), {"ok": True, "store": "sqlite"})


class ErrorTests(unittest.TestCase):
    def setUp(self) -> None:
        self.purse = client()

    def test_bad_input_is_invalid_request_naming_the_field(self) -> None:
        with self.assertRaises(InvalidRequestError) as caught:
            self.purse.put_tool(uid("tool"), name="Bad", credits=-1)
        err = caught.exception
        self.assertEqual((err.code, err.status, err.field), ("invalid_request", 400, "credits"))
        self.assertTrue(err.request_id)

    def test_an_unknown_customer_is_not_found(self) -> None:
        with self.assertRaises(NotFoundError) as caught:
            self.purse.balance(uid("nobody"))
        self.assertEqual((caught.exception.code, caught.exception.status), ("not_found", 404))

    def test_a_wrong_key_is_unauthorized(self) -> None:
        with self.assertRaises(UnauthorizedError) as caught:
            Purse(URL, API_KEY + "x").list_tools()
        self.assertEqual((caught.exception.code, caught.exception.status), ("unauthorized", 401))
        self.assertIsInstance(caught.exception, PurseError)

    def test_ids_are_escaped_in_paths(self) -> None:
        with self.assertRaises(InvalidRequestError) as caught:
            self.purse.get_customer("a/b?c")
        self.assertEqual(caught.exception.field, "customerId")


if __name__ == "__main__":
    unittest.main()
