"""Teams through the client: members, a member's reservations within its limits, member sessions, spend per member."""

import unittest

from support import URL, client, customer_with_credits, new_tool

from purse import ForbiddenError, NotFoundError, Purse, SpendLimitReachedError


class TeamsTests(unittest.TestCase):
    def setUp(self) -> None:
        self.purse = client()
        self.tool = new_tool(self.purse, 5)

    def test_members_spend_the_team_pool_within_their_limits(self) -> None:
        team = customer_with_credits(self.purse, 100)
        added = self.purse.put_member(team, "ada", name="Ada", limits={"daily": 10}, reason="intern")
        self.assertEqual((added["role"], added["limits"], added["limitsReason"]), ("member", {"daily": 10}, "intern"))
        self.purse.put_member(team, "bob", role="admin")
        gen = self.purse.reserve(team, self.tool, units=2, member_id="ada")
        self.assertEqual(gen["memberId"], "ada")
        with self.assertRaises(SpendLimitReachedError) as caught:
            self.purse.reserve(team, self.tool, member_id="ada")
        self.assertEqual((caught.exception.scope, caught.exception.member_id, caught.exception.used), ("member", "ada", 10))
        self.purse.reserve(team, self.tool, member_id="bob")
        self.purse.complete(gen["id"])
        used = {m["id"]: m["used"]["day"] for m in self.purse.list_members(team)}
        self.assertEqual(used, {"ada": 10, "bob": 5})
        self.assertEqual(self.purse.balance(team)["available"], 85)
        self.assertTrue(all(e["memberId"] == "ada" for e in self.purse.ledger(team)["data"] if e["generationId"] == gen["id"]))
        lines = [m for m in self.purse.members_report()["members"] if m["customerId"] == team]
        self.assertEqual({m["memberId"]: m["creditsCharged"] for m in lines}, {"ada": 10, "bob": 0})

        self.purse.remove_member(team, "ada")
        with self.assertRaises(NotFoundError):
            self.purse.reserve(team, self.tool, member_id="ada")
        self.assertIsNotNone(self.purse.get_member(team, "ada")["removedAt"])

    def test_a_member_session_reads_its_own_usage_and_not_every_members(self) -> None:
        team = customer_with_credits(self.purse, 100)
        self.purse.put_member(team, "cy")
        self.purse.put_member(team, "di")
        session = self.purse.create_session(team, member_id="cy")
        self.assertEqual(session["memberId"], "cy")
        as_cy = Purse(URL, session["token"], backoff_seconds=0.01)
        self.assertEqual(as_cy.get_member(team, "cy")["id"], "cy")
        self.assertEqual(as_cy.balance(team)["available"], 100)
        with self.assertRaises(ForbiddenError):
            as_cy.get_member(team, "di")
        with self.assertRaises(ForbiddenError):
            as_cy.list_members(team)


if __name__ == "__main__":
    unittest.main()
