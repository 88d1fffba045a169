"""Auto top-up (issue 14) from the SDK: set it, read it back, and see the server's worker
buy the pack once when the balance is below the threshold."""

import time
import unittest

import support
from support import customer_with_credits, uid

from purse import InvalidRequestError

PAY_WAIT_SECONDS = 20


class AutoTopUpTests(unittest.TestCase):
    def setUp(self) -> None:
        self.purse = support.client()
        self.pack_id = uid("pack")
        self.purse.put_pack(self.pack_id, name="100 credits", credits=100, price={"amount": 900, "currency": "usd"})

    def test_enabled_below_the_threshold_it_buys_once(self) -> None:
        customer_id = customer_with_credits(self.purse, 10)
        never = self.purse.get_auto_top_up(customer_id)
        self.assertFalse(never["enabled"])
        self.assertIsNone(never["threshold"])

        set_ = self.purse.set_auto_top_up(customer_id, enabled=True, threshold=50, pack_id=self.pack_id, monthly_purchases=3, reason="python sdk test")
        self.assertEqual(set_["threshold"], 50)
        self.assertEqual(set_["monthlyLimit"], {"purchases": 3, "amount": None})
        self.assertEqual(set_["thisMonth"]["purchases"], 1)
        self.assertIsNotNone(set_["state"]["pendingPurchaseId"])

        deadline = time.time() + PAY_WAIT_SECONDS
        while self.purse.balance(customer_id)["available"] != 110:
            if time.time() > deadline:
                self.fail("the top-up was not paid within %d s" % PAY_WAIT_SECONDS)
            time.sleep(0.2)
        top_ups = [p for p in self.purse.list_purchases(customer_id)["data"] if p["autoTopUp"]]
        self.assertEqual(len(top_ups), 1)
        self.assertEqual(top_ups[0]["status"], "paid")
        read = self.purse.get_auto_top_up(customer_id)
        self.assertEqual(read["state"]["pendingPurchaseId"], None)
        self.assertEqual(read["reason"], "python sdk test")

    def test_bad_input_names_the_field(self) -> None:
        customer_id = customer_with_credits(self.purse, 10)
        with self.assertRaises(InvalidRequestError) as caught:
            self.purse.set_auto_top_up(customer_id, enabled=True, threshold=0, pack_id=self.pack_id)
        self.assertEqual(caught.exception.field, "threshold")
        with self.assertRaises(InvalidRequestError) as caught:
            self.purse.set_auto_top_up(customer_id, enabled=True, threshold=5, pack_id=uid("nopack"))
        self.assertEqual(caught.exception.field, "packId")
        self.assertFalse(self.purse.get_auto_top_up(customer_id)["enabled"])


if __name__ == "__main__":
    unittest.main()
