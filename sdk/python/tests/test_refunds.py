"""Refunds that follow the cause: fail reasons and messages, reports of a bad result, free retries."""

import unittest

from support import client, customer_with_credits, new_tool, uid

from purse import AlreadyReportedError, InvalidRequestError


class RefundTests(unittest.TestCase):
    def setUp(self) -> None:
        self.purse = client()

    def test_a_reason_refunds_per_the_tools_policy_and_free_text_is_other(self) -> None:
        tool = new_tool(self.purse, 10, refund_policy={"safety_blocked": 30}, report_window_hours=2)
        self.assertEqual(self.purse.get_tool(tool)["refundPolicy"], {"safety_blocked": 30})
        customer = customer_with_credits(self.purse, 100)
        blocked = self.purse.fail(self.purse.reserve(customer, tool)["id"], reason="safety_blocked", message="filtered")
        self.assertEqual((blocked["failureReason"], blocked["failureMessage"], blocked["charged"]), ("safety_blocked", "filtered", 7))
        crashed = self.purse.fail(self.purse.reserve(customer, tool)["id"], reason="GPU fell over")
        self.assertEqual((crashed["failureReason"], crashed["failureMessage"], crashed["charged"]), ("other", "GPU fell over", 0))
        self.assertEqual(self.purse.balance(customer)["available"], 93)
        with self.assertRaises(InvalidRequestError) as caught:
            self.purse.put_tool(tool, name="Tool", credits=10, refund_policy={"timeout": 101})
        self.assertEqual(caught.exception.details["field"], "refundPolicy.timeout")

    def test_a_bad_result_is_refunded_once_and_a_failed_one_is_retried_free(self) -> None:
        tool = new_tool(self.purse, 10)
        plan = uid("plan")
        created = self.purse.put_plan(plan, name="Retries", credits_per_period=0, price={"amount": 0, "currency": "usd"}, free_retries_per_period="unlimited")
        self.assertIsNone(created["freeRetriesPerPeriod"])
        customer = customer_with_credits(self.purse, 100)
        self.purse.subscribe(customer, plan)
        done = self.purse.complete(self.purse.reserve(customer, tool)["id"])
        reported = self.purse.report(done["id"], note="blurry")
        self.assertEqual(reported["refunded"], 10)
        self.assertIsNotNone(reported["reportedAt"])
        with self.assertRaises(AlreadyReportedError):
            self.purse.report(done["id"])
        retry = self.purse.reserve(customer, tool, retry_of=done["id"])
        self.assertEqual((retry["freeRetry"], retry["retryOf"]), (True, done["id"]))
        self.assertEqual(self.purse.complete(retry["id"])["charged"], 0)
        self.assertEqual(self.purse.balance(customer)["available"], 100)


if __name__ == "__main__":
    unittest.main()
