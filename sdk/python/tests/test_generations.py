"""Generations through the client: reserve, complete (all or fewer units), fail, errors, idempotency."""

import unittest

from support import client, customer_with_credits, new_tool, uid

from purse import (
    GenerationSettledError,
    IdempotencyConflictError,
    InsufficientCreditsError,
    PurseError,
)


class GenerationTests(unittest.TestCase):
    def setUp(self) -> None:
        self.purse = client()
        self.tool = new_tool(self.purse, 10)

    def test_a_completed_generation_charges_its_cost(self) -> None:
        customer = customer_with_credits(self.purse, 100)
        gen = self.purse.reserve(customer, self.tool, units=2)
        self.assertEqual(gen["status"], "reserved")
        self.assertEqual(gen["cost"], 20)
        held = self.purse.balance(customer)
        self.assertEqual((held["available"], held["reserved"]), (80, 20))

        done = self.purse.complete(gen["id"])
        self.assertEqual(done["status"], "completed")
        self.assertEqual(done["charged"], 20)
        after = self.purse.balance(customer)
        self.assertEqual((after["available"], after["reserved"]), (80, 0))
        self.assertEqual(self.purse.get_generation(gen["id"])["status"], "completed")

    def test_a_failed_generation_gives_every_credit_back(self) -> None:
        customer = customer_with_credits(self.purse, 100)
        gen = self.purse.reserve(customer, self.tool, units=3)
        self.assertEqual(self.purse.balance(customer)["available"], 70)

        failed = self.purse.fail(gen["id"], reason="the model crashed")
        self.assertEqual(failed["status"], "failed")
        self.assertEqual((failed["failureReason"], failed["failureMessage"]), ("other", "the model crashed"))
        self.assertEqual(failed["charged"], 0)
        after = self.purse.balance(customer)
        self.assertEqual((after["available"], after["reserved"]), (100, 0))
        types = [e["type"] for e in self.purse.ledger(customer)["data"] if e["generationId"] == gen["id"]]
        self.assertEqual(sorted(types), ["release", "reserve"])

    def test_completing_fewer_units_charges_only_those(self) -> None:
        customer = customer_with_credits(self.purse, 100)
        gen = self.purse.reserve(customer, self.tool, units=4)
        done = self.purse.complete(gen["id"], units=1)
        self.assertEqual((done["chargedUnits"], done["charged"]), (1, 10))
        self.assertEqual(self.purse.balance(customer)["available"], 90)

    def test_too_few_credits_raise_insufficient_credits_with_the_numbers(self) -> None:
        customer = customer_with_credits(self.purse, 15)
        with self.assertRaises(InsufficientCreditsError) as caught:
            self.purse.reserve(customer, self.tool, units=2)
        err = caught.exception
        self.assertIsInstance(err, PurseError)
        self.assertEqual((err.code, err.status), ("insufficient_credits", 402))
        self.assertEqual((err.available, err.required), (15, 20))
        self.assertTrue(err.request_id)
        self.assertEqual(self.purse.balance(customer)["available"], 15)
        self.assertEqual(self.purse.list_generations(customer)["data"], [])

    def test_the_same_generation_id_answers_the_first_reservation(self) -> None:
        customer = customer_with_credits(self.purse, 100)
        gen_id = uid("gen")
        first = self.purse.reserve(customer, self.tool, units=2, id=gen_id)
        again = self.purse.reserve(customer, self.tool, units=2, id=gen_id)
        self.assertEqual(again, first)
        self.assertEqual(self.purse.balance(customer)["reserved"], 20)

        with self.assertRaises(IdempotencyConflictError) as caught:
            self.purse.reserve(customer, self.tool, units=3, id=gen_id)
        self.assertEqual((caught.exception.code, caught.exception.status), ("idempotency_conflict", 409))

    def test_settling_twice_answers_the_first_result_and_the_other_way_is_refused(self) -> None:
        customer = customer_with_credits(self.purse, 100)
        gen = self.purse.reserve(customer, self.tool)
        first = self.purse.complete(gen["id"])
        self.assertEqual(self.purse.complete(gen["id"]), first)
        with self.assertRaises(GenerationSettledError) as caught:
            self.purse.fail(gen["id"])
        self.assertEqual((caught.exception.code, caught.exception.status), ("generation_settled", 409))
        self.assertEqual(self.purse.balance(customer)["available"], 90)

    def test_extend_moves_the_hold_and_refund_gives_credits_back(self) -> None:
        customer = customer_with_credits(self.purse, 100)
        gen = self.purse.reserve(customer, self.tool, units=2, metadata={"prompt": "a cat"})
        self.assertEqual(gen["metadata"], {"prompt": "a cat"})
        extended = self.purse.extend(gen["id"], 3600)
        self.assertGreater(extended["holdUntil"], gen["holdUntil"])
        self.purse.complete(gen["id"])

        refunded = self.purse.refund(gen["id"], reason="blurry result", amount=5)
        self.assertEqual(refunded["refunded"], 5)
        self.assertEqual(self.purse.balance(customer)["available"], 85)

    def test_list_generations_pages_through_all_of_them(self) -> None:
        customer = customer_with_credits(self.purse, 100)
        ids = [self.purse.reserve(customer, self.tool)["id"] for _ in range(3)]
        first = self.purse.list_generations(customer, limit=2)
        self.assertEqual(len(first["data"]), 2)
        self.assertIsNotNone(first["nextCursor"])
        rest = self.purse.list_generations(customer, cursor=first["nextCursor"], limit=2)
        self.assertIsNone(rest["nextCursor"])
        seen = [g["id"] for g in first["data"] + rest["data"]]
        self.assertEqual(sorted(seen), sorted(ids))
        self.assertEqual([g["id"] for g in self.purse.iter_generations(customer, page_size=2)], seen)


if __name__ == "__main__":
    unittest.main()
