"""`purse.generate(...)` as a with block: reserve, keep the hold, complete or fail and re-raise."""

import time
import unittest

from support import client, customer_with_credits, new_tool

from purse import GenerationSettledError, InsufficientCreditsError

WAIT_SECONDS = 10


class GenerateTests(unittest.TestCase):
    def setUp(self) -> None:
        self.purse = client()
        self.tool = new_tool(self.purse, 10)

    def test_a_block_that_returns_completes_the_generation(self) -> None:
        customer = customer_with_credits(self.purse, 100)
        with self.purse.generate(customer, self.tool, units=2, metadata={"job": "ok"}) as run:
            self.assertEqual(run.generation["status"], "reserved")
            self.assertEqual(run.cost, 20)
            self.assertEqual(self.purse.balance(customer)["reserved"], 20)
        self.assertEqual(run.generation["status"], "completed")
        self.assertEqual(run.generation["charged"], 20)
        self.assertEqual(self.purse.get_generation(run.id)["metadata"], {"job": "ok"})
        after = self.purse.balance(customer)
        self.assertEqual((after["available"], after["reserved"]), (80, 0))
        with self.assertRaises(RuntimeError):
            run.__enter__()  # one run is one generation
        self.assertEqual(len(self.purse.list_generations(customer)["data"]), 1)

    def test_the_block_may_charge_fewer_units(self) -> None:
        customer = customer_with_credits(self.purse, 100)
        with self.purse.generate(customer, self.tool, units=4) as run:
            run.units = 1
        self.assertEqual((run.generation["chargedUnits"], run.generation["charged"]), (1, 10))
        self.assertEqual(self.purse.balance(customer)["available"], 90)

    def test_an_exception_fails_the_generation_and_is_re_raised(self) -> None:
        customer = customer_with_credits(self.purse, 100)
        crash = ValueError("the model ran out of memory")
        with self.assertRaises(ValueError) as caught:
            with self.purse.generate(customer, self.tool, units=3) as run:
                self.assertEqual(self.purse.balance(customer)["available"], 70)
                raise crash
        self.assertIs(caught.exception, crash)
        self.assertIsNone(run.fail_error)
        stored = self.purse.get_generation(run.id)
        self.assertEqual(stored["status"], "failed")
        self.assertEqual((stored["failureReason"], stored["failureMessage"]), ("other", "ValueError: the model ran out of memory"))
        after = self.purse.balance(customer)
        self.assertEqual((after["available"], after["reserved"]), (100, 0))

    def test_too_few_credits_refuse_before_the_block_runs(self) -> None:
        customer = customer_with_credits(self.purse, 5)
        ran = []
        with self.assertRaises(InsufficientCreditsError) as caught:
            with self.purse.generate(customer, self.tool):
                ran.append(True)
        self.assertEqual(ran, [])
        self.assertEqual((caught.exception.available, caught.exception.required), (5, 10))

    def test_the_hold_is_extended_while_the_block_runs(self) -> None:
        # The server's test clock stands still unless moved: the block moves it past
        # the tool's 60 s hold, and only the extensions keep the generation alive.
        customer = customer_with_credits(self.purse, 100)
        tool = new_tool(self.purse, 10, hold_seconds=60)
        with self.purse.generate(customer, tool, extend_every=0.1) as run:
            first_hold = run.generation["holdUntil"]
            self.purse.advance_test_clock(50)
            self._wait_for(lambda: self.purse.get_generation(run.id)["holdUntil"] > first_hold)
            self.purse.advance_test_clock(50)
            self.assertEqual(self.purse.get_generation(run.id)["status"], "reserved")
        self.assertGreaterEqual(run.extensions, 1)
        self.assertEqual(run.generation["status"], "completed")

    def test_without_extensions_the_same_hold_times_out(self) -> None:
        customer = customer_with_credits(self.purse, 100)
        tool = new_tool(self.purse, 10, hold_seconds=60)
        with self.assertRaises(GenerationSettledError):
            with self.purse.generate(customer, tool, extend_every=3600) as run:
                self.purse.advance_test_clock(100)
        stored = self.purse.get_generation(run.id)
        self.assertEqual((stored["status"], stored["failureReason"]), ("failed", "timeout"))
        self.assertEqual(run.extensions, 0)
        self.assertEqual(self.purse.balance(customer)["available"], 100)

    def _wait_for(self, condition) -> None:  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + WAIT_SECONDS
        while not condition():
            if time.monotonic() > deadline:
                self.fail("condition not met in %d s" % WAIT_SECONDS)
            time.sleep(0.05)


if __name__ == "__main__":
    unittest.main()
