"""Spend limits through the client: set and read them, and the two refusals as typed errors."""

import time
import unittest

from support import client, customer_with_credits, new_tool, uid

from purse import InvalidRequestError, PurseError, SpendLimitReachedError, TooManyInFlightError


class LimitsTests(unittest.TestCase):
    def setUp(self) -> None:
        self.purse = client()
        self.tool = new_tool(self.purse, 10)

    def test_set_and_read_limits_with_what_is_used(self) -> None:
        customer = customer_with_credits(self.purse, 500)
        state = self.purse.set_limits(customer, daily=100, tools={self.tool: {"monthly": 300}}, max_in_flight=3, reason="pilot")
        self.assertEqual(state["own"], {"daily": 100, "tools": {self.tool: {"monthly": 300}}, "maxInFlight": 3})
        self.assertEqual(state["reason"], "pilot")
        self.assertEqual(state["effective"]["daily"], {"value": 100, "source": "customer"})
        self.purse.reserve(customer, self.tool, units=2)
        read = self.purse.get_limits(customer)
        self.assertEqual((read["used"]["day"], read["used"]["month"], read["inFlight"]), (20, 20, 1))
        self.assertEqual(read["used"]["tools"][self.tool], {"day": 20, "month": 20})

    def test_a_plan_gives_its_limits_to_subscribers(self) -> None:
        customer = customer_with_credits(self.purse, 500)
        plan = uid("plan")
        created = self.purse.put_plan(plan, name="Capped", credits_per_period=0, price={"amount": 0, "currency": "usd"}, limits={"monthly": 40})
        self.assertEqual(created["limits"], {"monthly": 40})
        self.purse.subscribe(customer, plan)
        self.assertEqual(self.purse.get_limits(customer)["effective"]["monthly"], {"value": 40, "source": "plan"})

    def test_passing_a_spend_limit_raises_spend_limit_reached_with_the_numbers(self) -> None:
        customer = customer_with_credits(self.purse, 500)
        self.purse.set_limits(customer, daily=25)
        self.purse.reserve(customer, self.tool, units=2)
        with self.assertRaises(SpendLimitReachedError) as caught:
            self.purse.reserve(customer, self.tool, units=1)
        err = caught.exception
        self.assertIsInstance(err, PurseError)
        self.assertEqual((err.code, err.status), ("spend_limit_reached", 402))
        self.assertEqual((err.scope, err.window, err.limit, err.used, err.required), ("customer", "day", 25, 20, 10))
        self.assertEqual(self.purse.balance(customer)["available"], 480)

    def test_one_hold_too_many_raises_too_many_in_flight(self) -> None:
        customer = customer_with_credits(self.purse, 500)
        self.purse.set_limits(customer, max_in_flight=1)
        first = self.purse.reserve(customer, self.tool)
        patient = client(backoff_seconds=2)
        started = time.monotonic()
        with self.assertRaises(TooManyInFlightError) as caught:
            patient.reserve(customer, self.tool)
        self.assertEqual((caught.exception.status, caught.exception.limit, caught.exception.in_flight), (429, 1, 1))
        # A refusal, not a rate limit: answered at once, never retried.
        self.assertLess(time.monotonic() - started, 0.9)
        self.purse.complete(first["id"])
        self.assertEqual(self.purse.reserve(customer, self.tool)["status"], "reserved")

    def test_bad_limits_name_the_field(self) -> None:
        customer = customer_with_credits(self.purse, 10)
        with self.assertRaises(InvalidRequestError) as caught:
            self.purse.set_limits(customer, tools={"no-such-tool": {"daily": 5}})
        self.assertEqual(caught.exception.field, "tools.no-such-tool")
        with self.assertRaises(InvalidRequestError) as caught:
            self.purse.set_limits(customer, daily=0)
        self.assertEqual(caught.exception.field, "daily")


if __name__ == "__main__":
    unittest.main()
